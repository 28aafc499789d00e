/**
 * What both vitest configurations share. The machine has 2 cores, but most test files spend their
 * time waiting on sockets, child processes or a browser, so more files run at once than there are
 * cores: vitest's default (cores - 1 = one file at a time) left the CPU idle for most of the run.
 */
import type { ViteUserConfig } from 'vitest/config';

/** Test files of the tooling (bench, scripts): their own run, `npm run test:tools`. */
export const TOOLS_TESTS = ['test/bench/**/*.test.ts', 'test/scripts/**/*.test.ts'];

export const shared: NonNullable<ViteUserConfig['test']> = {
  // Socket tests open many loopback connections: child processes keep them apart from vitest.
  pool: 'forks',
  maxWorkers: 4,
  fileParallelism: true,
  // Outer limits only: they turn a hang into a failure and never fire on a pass, even under load.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
  setupFiles: ['test/config/cleanup.ts'],
};
