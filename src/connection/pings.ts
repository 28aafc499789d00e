/**
 * `Conn.ping()`: pings sent by the application, matched with their pongs by payload (§5.5.3: a
 * pong carries the ping's data), resolving with the round-trip time.
 */
import { Buffer } from 'node:buffer';
import { Waiter } from './waiter.js';

interface PendingPing {
  sentAt: number;
  waiter: Waiter<number>;
}

export class PingTracker {
  /** Made at the first ping: most connections never send one. */
  private pending: Map<string, PendingPing[]> | null = null;
  private counter = 0;

  /** An 8-byte payload no earlier ping of this connection used. */
  nextPayload(): Buffer {
    const payload = Buffer.allocUnsafe(8);
    payload.writeDoubleBE(++this.counter);
    return payload;
  }

  /** Waits for the pong to `payload`; the promise resolves with the round-trip time in ms. */
  expect(payload: Buffer, signal: AbortSignal | undefined): Waiter<number> {
    const key = payload.toString('latin1');
    const entry: PendingPing = { sentAt: performance.now(), waiter: new Waiter<number>(signal, () => this.forget(key, entry)) };
    if (entry.waiter.isSettled) return entry.waiter;
    const pings = (this.pending ??= new Map());
    const list = pings.get(key);
    if (list === undefined) pings.set(key, [entry]);
    else list.push(entry);
    return entry.waiter;
  }

  /** The ping could not be sent: forget it and reject its waiter. */
  failed(payload: Buffer, waiter: Waiter<number>, err: unknown): void {
    const key = payload.toString('latin1');
    const entry = this.pending?.get(key)?.find((e) => e.waiter === waiter);
    if (entry !== undefined) this.forget(key, entry);
    waiter.reject(err);
  }

  /** A pong arrived: settles the oldest ping with that payload. */
  pong(payload: Buffer): void {
    if (this.pending === null) return;
    const key = payload.toString('latin1');
    const list = this.pending.get(key);
    const entry = list?.shift();
    if (list !== undefined && list.length === 0) this.pending.delete(key);
    entry?.waiter.resolve(performance.now() - entry.sentAt);
  }

  /** The connection is gone: every ping still waiting fails with `err`. */
  rejectAll(err: () => Error): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    for (const list of pending.values()) for (const entry of list) entry.waiter.reject(err());
  }

  /** How many pings wait for their pong (for tests of leaks). */
  get waiting(): number {
    let n = 0;
    if (this.pending !== null) for (const list of this.pending.values()) n += list.length;
    return n;
  }

  private forget(key: string, entry: PendingPing): void {
    const list = this.pending?.get(key);
    if (list === undefined) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending!.delete(key);
  }
}
