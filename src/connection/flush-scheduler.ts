/**
 * Deferred flushing of write batches. A connection that queued frames asks for a flush; one
 * `process.nextTick` callback then flushes every connection that asked. Writes made in the same
 * tick (an echo loop draining a read buffer, a broadcast to a thousand connections) leave as one
 * socket write per connection, and no timer is needed per connection.
 */
export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

let pending: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const batch = pending;
  pending = [];
  for (const target of batch) {
    target.flushScheduled = false;
    target.flush();
  }
}

export function scheduleFlush(target: Flushable): void {
  if (target.flushScheduled) return;
  target.flushScheduled = true;
  pending.push(target);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushAll);
  }
}
