/**
 * Runs what tests registered with `onCleanup` after each test. A setup file, not a hook in the
 * helper module: most files share one module cache (`isolate: false`), so a hook registered when
 * the helper was first imported belonged to that first file only, and the children started by
 * later files (echo servers, redis) outlived the run.
 */
import { afterEach } from 'vitest';
import { runCleanups } from '../helpers/servers.js';

afterEach(runCleanups);
