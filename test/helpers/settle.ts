/**
 * Waiting for an in-process exchange over loopback sockets to come to rest, counted in turns of
 * the event loop rather than in milliseconds: each turn runs the poll phase, so a socket with bytes
 * waiting is read in the next turn whatever the machine's load. A value that has not moved for
 * `turns` turns in a row has stopped. (Not for work on zlib's threads: that finishes when it
 * finishes, not within a count of turns.)
 */
import { setImmediate as turn } from 'node:timers/promises';

/** Resolves with `read()` once it has stayed the same for `turns` consecutive event-loop turns. */
export async function settled<T>(read: () => T, turns = 200, limitMs = 60_000): Promise<T> {
  const deadline = performance.now() + limitMs; // an outer limit: a value that never rests is a hang
  let last = read();
  for (let still = 0; still < turns; ) {
    await turn();
    const now = read();
    still = Object.is(now, last) ? still + 1 : 0;
    last = now;
    if (performance.now() > deadline) throw new Error(`still changing after ${limitMs} ms: ${String(now)}`);
  }
  return last;
}
