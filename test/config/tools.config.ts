import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { TOOLS_TESTS, shared } from './shared.js';

/** The tooling's tests (`npm run test:tools`): bench and scripts, apart from the library's. */
export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    ...shared,
    include: TOOLS_TESTS,
  },
});
