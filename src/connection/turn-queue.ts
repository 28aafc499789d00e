/**
 * Whose turn it is to write a message. Most writes append their frame synchronously and never
 * wait here; only writes that take time before their bytes exist (a message written in pieces
 * with `nextWriter`, a message being compressed) hold the turn, and writes that come meanwhile
 * wait in order, so every message stays whole on the wire and in the order it was written.
 */
import { Waiter, rejectAll, removeWaiter } from './waiter.js';

export class TurnQueue {
  private held = false;
  /** Made when a write first has to wait (most connections never do). */
  private waiting: Array<Waiter<void>> | null = null;

  /** Nobody holds the turn and nobody waits: a write may go straight through. */
  get idle(): boolean {
    return !this.held && (this.waiting === null || this.waiting.length === 0);
  }

  /** Some write is waiting for the turn. */
  get hasWaiters(): boolean {
    return this.waiting !== null && this.waiting.length > 0;
  }

  /** Waits for the turn. Rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.idle) {
      this.held = true;
      return Promise.resolve();
    }
    const waiting = (this.waiting ??= []);
    const waiter = new Waiter<void>(signal, (w) => removeWaiter(waiting, w));
    if (!waiter.isSettled) waiting.push(waiter);
    return waiter.promise;
  }

  /** Passes the turn to the next waiter, if any. */
  release(): void {
    const next = this.waiting?.shift();
    if (next === undefined) this.held = false;
    else next.resolve();
  }

  /** Fails every waiter: the connection can no longer write. */
  failAll(err: unknown): void {
    if (this.waiting !== null) rejectAll(this.waiting, err);
  }
}
