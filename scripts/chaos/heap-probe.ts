/**
 * Preloaded (`node --expose-gc --import tsx --import ./scripts/chaos/heap-probe.ts server.ts`)
 * into a server under test: on the IPC message `'heap'` it forces full collections and answers
 * `{ heapUsed }`. It prints nothing, so the server's own output stays what it is.
 */
const gc = (globalThis as { gc?: () => void }).gc;

if (process.send !== undefined && gc !== undefined) {
  process.on('message', (message) => {
    if (message !== 'heap') return;
    // A few rounds, a turn apart, so that objects freed by finalizers and timers go too.
    let rounds = 3;
    const collect = (): void => {
      gc();
      if (--rounds > 0) setImmediate(collect);
      else process.send?.({ heapUsed: process.memoryUsage().heapUsed });
    };
    collect();
  });
  // The probe must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}
