/**
 * Preloaded into a server (`node --expose-gc --import tsx --import ./memory-probe.ts server.ts`)
 * for the idle-memory scenario: on the IPC message `'memory'` it collects garbage and answers with
 * `process.memoryUsage()`. The server script itself runs unmodified.
 */
process.on('message', (message: unknown) => {
  if (message !== 'memory' || process.send === undefined) return;
  const gc = globalThis.gc;
  if (gc === undefined) {
    process.send({ error: 'run with --expose-gc' });
    return;
  }
  // Two passes: the first may only finalise what the second then frees.
  gc();
  gc();
  process.send({ memory: process.memoryUsage() });
});
