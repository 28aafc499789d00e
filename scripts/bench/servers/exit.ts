/**
 * Leaving on SIGTERM/SIGINT with a normal exit, which is what lets `node --cpu-prof` write its
 * profile. A second signal, or a close that takes too long, exits at once.
 */
export function exitOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    void close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
