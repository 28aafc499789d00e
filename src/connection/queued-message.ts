/**
 * `QueuedMessage` now lives with the inbox's queue (`inbox.ts`), so that the bytes of a message
 * stay in one file from the core to the read. This re-export keeps the imports of files that other
 * work owns (`inflation.ts`, the parser micro-benchmark) building until they import it from there.
 */
export { QueuedMessage } from './inbox.js';
