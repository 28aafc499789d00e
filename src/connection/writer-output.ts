/**
 * The writer's output side: once a message's frames are queued, they are flushed to the transport
 * once per tick (or at once past the high-water mark), and the write waits while the transport is
 * over its high-water mark, or until it has written a buffer it holds by reference. Also the slab
 * copy-out while the transport is backed up, the write deadline, and failing every write when the
 * transport can take nothing more. Taking messages in (turns, compression) is `writer.ts`'s.
 */
import { Buffer } from 'node:buffer';
import { DeadlineExceededError } from '../errors.js';
import { Deadline } from './deadline.js';
import { type Flushable, scheduleFlush } from './flush-scheduler.js';
import { RESOLVED, Waiter, rejectAll, removeWaiter } from './waiter.js';
import type { WriteOptions, WriterParts } from './writer.js';

/** Flushing, waiting on the transport, the write deadline; the messages written are the subclass's. */
export abstract class WriterOutput implements Flushable {
  /** @internal Flushable */
  flushScheduled = false;
  /**
   * @internal While the driver hands a read's messages to the application, what it writes waits
   * for the end of that (`endInput`), not for a tick callback: same batch, one callback fewer.
   * 1 while input is handled, 2 when a flush is due at its end, 0 otherwise.
   */
  inputTurn = 0;
  protected readonly parts: WriterParts;
  /** The transport can take nothing more: every write fails with this (built when first needed). */
  private deadCause: Error | (() => Error) | null = null;
  /** Writes waiting until the transport has their bytes, and until it drains (made when first needed). */
  private writtenWaiters: Array<Waiter<void>> | null = null;
  private drainWaiters: Array<Waiter<void>> | null = null;
  /** Made at the first `setWriteDeadline`: most connections never set one. */
  private deadline: Deadline | null = null;
  private waiting = 0;
  /** Bytes of shared write slabs kept alive by a region the transport has not written yet. */
  private pinned = 0;

  constructor(parts: WriterParts) {
    this.parts = parts;
  }

  /** Why every write fails, once the transport can take nothing more; null while it can. */
  protected get dead(): Error | null {
    const cause = this.deadCause;
    if (typeof cause !== 'function') return cause;
    return (this.deadCause = cause());
  }

  /** The transport can take nothing more (without building the error yet). */
  protected get failed(): boolean {
    return this.deadCause !== null;
  }

  protected checkAlive(): void {
    if (this.dead !== null) throw this.dead;
  }

  /** After frames were queued: flush when due, and wait when the transport is backed up. */
  protected afterAppend(byReference: boolean, options: WriteOptions | undefined): Promise<void> {
    if (byReference) {
      // The transport holds the caller's buffer until it is written: wait for that.
      const written = new Waiter<void>();
      (this.writtenWaiters ??= []).push(written);
      this.flush();
      const done = this.track(written.promise);
      return this.parts.transport.writableNeedDrain ? done.then(() => this.whenDrained(options)) : done;
    }
    return this.flushWhenDue() ? this.whenDrained(options) : RESOLVED;
  }

  /**
   * Flushes at the end of this tick, or at once when the transport is over its high-water mark
   * with this batch. A tick's batch leaves in one socket write however many `writeBufferSize`
   * regions it fills (an echo of a 64 KiB read: one system call, not four). True when the
   * transport asks writers to wait for its drain.
   */
  protected flushWhenDue(): boolean {
    const transport = this.parts.transport;
    const sender = this.parts.sender;
    if (transport.writableLength + sender.pendingBytes + this.pinned <= this.parts.highWaterMark) {
      if (this.inputTurn !== 0) this.inputTurn = 2;
      else scheduleFlush(this);
      return false;
    }
    this.flush();
    return transport.writableNeedDrain;
  }

  private whenDrained(options: WriteOptions | undefined): Promise<void> {
    if (this.dead !== null) return Promise.reject(this.dead);
    if (!this.parts.transport.writableNeedDrain) return RESOLVED;
    const drainWaiters = (this.drainWaiters ??= []);
    const waiter = new Waiter<void>(options?.signal, (w) => removeWaiter(drainWaiters, w));
    if (!waiter.isSettled) drainWaiters.push(waiter);
    return this.track(waiter.promise);
  }

  /** The transport's `drain` event. */
  onDrain(): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    for (const w of waiters) w.resolve();
  }

  /** @internal The driver is done handing input to the application: what was written meanwhile goes now. */
  endInput(): void {
    const due = this.inputTurn === 2;
    this.inputTurn = 0;
    if (!due) return;
    try {
      this.flush();
    } catch (err) {
      this.flushFailed(err);
    }
  }

  /** @internal Flushable: hands queued frames to the transport. */
  flush(): void {
    const chunks = this.parts.sender.take();
    if (chunks.length === 0) return;
    const transport = this.parts.transport;
    if (transport.destroyed || transport.writableEnded) {
      if (this.writtenWaiters !== null) rejectAll(this.writtenWaiters, this.dead ?? this.parts.writeError());
      return;
    }
    let callback: ((err?: Error | null) => void) | undefined;
    if (this.writtenWaiters !== null && this.writtenWaiters.length > 0) {
      const waiters = this.writtenWaiters;
      this.writtenWaiters = null;
      callback = (err) => {
        if (err) rejectAll(waiters, err);
        else for (const w of waiters) w.resolve();
      };
    }
    // A small region of a shared write slab that the transport cannot write now keeps the whole
    // slab alive. While the transport is backed up, regions are copied out; a region that got
    // stuck first is counted as the slab it pins, until the transport has written everything.
    const backedUp = transport.writableLength > 0;
    if (!backedUp) this.pinned = 0;
    const last = chunks.length - 1;
    if (last > 0) transport.cork();
    for (let i = 0; i <= last; i++) {
      const chunk = chunks[i]!;
      transport.write(backedUp && pinsMore(chunk) > 0 ? ownCopy(chunk) : chunk, i === last ? callback : undefined);
    }
    if (last > 0) transport.uncork();
    // Usually the transport took everything at once and nothing is pinned: no need to look.
    if (!backedUp && transport.writableLength > 0) {
      for (const chunk of chunks) this.pinned = Math.max(this.pinned, pinsMore(chunk));
    }
  }

  /** @internal Flushable: the transport threw. */
  flushFailed(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.failAll(error);
    this.parts.onWriteFailure(error);
  }

  /** Bytes written and not yet handed to the operating system. */
  get bufferedAmount(): number {
    const transport = this.parts.transport;
    if (transport.writableLength === 0) this.pinned = 0;
    return this.parts.sender.pendingBytes + transport.writableLength + this.pinned;
  }

  // ---------------------------------------------------------------- the write deadline and the end

  /** Writes still waiting at `deadline` fail, and the connection with them. Null clears it. */
  setDeadline(deadline: Date | number | null): void {
    this.deadline ??= new Deadline(() => this.onDeadline());
    this.deadline.set(deadline, this.waiting > 0 && !this.failed);
  }

  /** Counts a write that is waiting, so the write deadline can see it. */
  protected track<T>(wait: Promise<T>): Promise<T> {
    this.waiting++;
    this.deadline?.arm(!this.failed);
    const settle = (): void => {
      this.waiting--;
      this.deadline?.arm(this.waiting > 0 && !this.failed);
    };
    wait.then(settle, settle);
    return wait;
  }

  private onDeadline(): void {
    if (this.waiting === 0) return;
    const err = new DeadlineExceededError('write');
    this.failAll(err);
    this.parts.onWriteDeadline(err);
  }

  /**
   * Every write fails with `err`: the transport can take nothing more. A function is called only
   * if a write needs the error (most connections end with none waiting, and an error's stack
   * trace costs about as much as the rest of a closing handshake).
   */
  failAll(err: Error | (() => Error)): void {
    if (this.deadCause !== null) return;
    this.deadCause = err;
    if (this.drainWaiters !== null) rejectAll(this.drainWaiters, this.dead!);
    if (this.writtenWaiters !== null) rejectAll(this.writtenWaiters, this.dead!);
    this.deadline?.stop();
  }

  /** The transport is gone: fail what waits, free zlib. */
  finish(err: Error | (() => Error)): void {
    this.failAll(err);
    this.parts.compression?.compressor.close();
  }
}

/** How much memory `chunk` keeps alive beyond itself, when that is more than its own size (a small region of a large slab); otherwise 0. */
function pinsMore(chunk: Buffer): number {
  const extra = chunk.buffer.byteLength - chunk.length;
  return extra > chunk.length ? extra : 0;
}

/** A copy in memory of its own (not from Node's shared pool, which would pin 8 KiB of it instead). */
function ownCopy(chunk: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  return copy;
}
