import { defineConfig } from 'vitest/config';
import { TOOLS_TESTS, shared } from './test/config/shared.js';

/**
 * Files that need a process of their own: they count the library's work with V8 coverage (which
 * sees only code compiled after counting began), or measure the process's memory.
 */
const OWN_PROCESS = ['test/security/**/*.test.ts', 'test/connection/memory-bound.test.ts', 'test/deflate/wire.test.ts'];

/**
 * The library's tests (`npm test`): every test file but the tooling's. Most files share their
 * worker's process and module cache with the files run before them (importing the library and
 * vitest anew for each of a hundred files took about a third of the suite's CPU time).
 */
export default defineConfig({
  test: {
    ...shared,
    projects: [
      {
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', ...TOOLS_TESTS, ...OWN_PROCESS], isolate: false },
      },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS, isolate: true } },
    ],
  },
});
