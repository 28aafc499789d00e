/**
 * Deferred flushing of write batches. A connection that queued frames asks for a flush; one
 * `process.nextTick` callback then flushes every connection that asked. Writes made in the same
 * tick (an echo loop draining a read buffer, a broadcast to a thousand connections) leave as one
 * transport write per connection, and no timer is needed per connection. (What is written while
 * the driver handles a read is flushed by the driver when that ends: `WriterOutput.endInput`.)
 */
import { nextTick } from 'node:process';

export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
  /** `flush` threw: the connection deals with it; the other connections are flushed regardless. */
  flushFailed(err: unknown): void;
}

let pending: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const batch = pending;
  pending = [];
  // Every flag is cleared first: whatever one connection does, the others can ask again.
  for (const target of batch) target.flushScheduled = false;
  for (const target of batch) {
    try {
      target.flush();
    } catch (err) {
      target.flushFailed(err);
    }
  }
}

export function scheduleFlush(target: Flushable): void {
  if (target.flushScheduled) return;
  target.flushScheduled = true;
  pending.push(target);
  if (!scheduled) {
    scheduled = true;
    nextTick(flushAll);
  }
}
