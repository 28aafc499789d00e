import { defineConfig } from 'vitest/config';
import { TOOLS_TESTS, shared } from './test/config/shared.js';

/** The library's tests (`npm test`): every test file but the tooling's. */
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...TOOLS_TESTS],
  },
});
