/**
 * The inbox's waiting reads: who waits (for a whole message, the next turn of `for await`, a
 * reader, or a `forEachMessage()` handler), and how a wait ends without a message: its signal
 * fires, the read deadline passes, or the connection ends. The inbox (`inbox.ts`) hands messages
 * to them; what it holds is counted by its base (`inbox-accounts.ts`).
 */
import { DeadlineExceededError, ReadConflictError } from '../errors.js';
import { Deadline } from './deadline.js';
import type { QueuedMessage } from './inbox.js';
import type { Conn } from './conn.js';
import { InboxAccounts } from './inbox-accounts.js';
import type { Message } from './message.js';
import type { MessageReader } from './message-reader.js';
import { type StreamAccounts, StreamedRead } from './streamed-read.js';
import { Waiter, removeWaiter } from './waiter.js';

export type ReadResult = Message | MessageReader | IteratorResult<Message>;
export type ReadKind = 'message' | 'reader' | 'iterate';

/**
 * What `forEachMessage()` calls with each message and its connection (so that one function can
 * serve every connection, with no closure for each). When it returns a promise, the next message
 * waits until that settles; a write's promise that is already settled does not hold it up.
 */
export type MessageHandler = (message: Message, conn: Conn) => void | PromiseLike<void>;

/** A waiting read, and what it waits for: a whole message, the next turn of `for await`, or a reader. */
export class ReadWaiter extends Waiter<ReadResult> {
  readonly kind: ReadKind;
  constructor(kind: ReadKind, signal: AbortSignal | undefined, onAbort: ((waiter: Waiter<ReadResult>) => void) | undefined) {
    super(signal, onAbort);
    this.kind = kind;
  }
}

/**
 * A `forEachMessage()` in progress: messages go to its handler as they arrive, with no promise per
 * message. Its own promise settles when the connection ends (or the handler fails, or it gives up).
 */
export class MessageConsumer extends Waiter<void> {
  readonly handler: MessageHandler;
  readonly conn: Conn;
  /** The handler runs, or a promise it returned is pending, or a delivery is due: no message now. */
  busy = false;
  constructor(handler: MessageHandler, conn: Conn, signal: AbortSignal | undefined, onAbort: (consumer: MessageConsumer) => void) {
    super(signal, onAbort as (waiter: Waiter<void>) => void);
    this.handler = handler;
    this.conn = conn;
  }
}

/** The reads waiting on an inbox; handing them messages is the subclass's. */
export abstract class WaitingReads extends InboxAccounts implements StreamAccounts {
  /** The oldest waiting read: nearly always the only one, so it needs no array. */
  protected firstWaiter: ReadWaiter | null = null;
  /** Reads waiting behind it, in order (made when a second read waits at once). */
  private moreWaiters: ReadWaiter[] | null = null;
  /** Made at the first `setReadDeadline`: most connections never set one. */
  protected deadline: Deadline | null = null;
  /** The `forEachMessage()` taking every message, if one runs: other reads are refused meanwhile. */
  protected consumer: MessageConsumer | null = null;

  /** True when a read is waiting: worth calling {@link service} after new input. */
  override get hungry(): boolean {
    return this.firstWaiter !== null || (this.consumer !== null && !this.consumer.busy) || (this.stream?.waiting ?? false);
  }

  /** `forEachMessage()`: hands every message to `handler` until the connection ends. */
  consume(handler: MessageHandler, conn: Conn, signal: AbortSignal | undefined): Promise<void> {
    if (typeof handler !== 'function') return Promise.reject(new TypeError('websocket: forEachMessage() needs a function'));
    if (this.consumer !== null || this.firstWaiter !== null || (this.stream?.waiting ?? false)) {
      return Promise.reject(new ReadConflictError('forEachMessage'));
    }
    const consumer = new MessageConsumer(handler, conn, signal, (c) => this.dropConsumer(c));
    if (consumer.isSettled) return consumer.promise;
    this.stream?.abandon();
    this.consumer = consumer;
    // Started past the read deadline with no whole message to hand over: fails as a read would.
    if (this.deadline?.passed === true && !(this.front?.complete ?? false)) this.failConsumer(consumer, new DeadlineExceededError('read'));
    else this.service();
    return consumer.promise;
  }

  /** Its handler gets no more messages (its signal fired: the waiter rejects itself). */
  private dropConsumer(consumer: MessageConsumer): void {
    if (this.consumer === consumer) this.consumer = null;
    this.waitsChanged();
  }

  /** Its handler gets no more messages, and `forEachMessage()` rejects with `err` (whatever it is, `undefined` too). */
  protected failConsumer(consumer: MessageConsumer, err: unknown): void {
    this.dropConsumer(consumer);
    consumer.reject(err);
  }

  /** The next piece of a streamed message (for `MessageReader`). */
  nextPiece(message: QueuedMessage, signal: AbortSignal | undefined): Promise<Buffer | null> {
    return (this.stream ??= new StreamedRead(this)).next(message, signal);
  }

  /** Reads waiting at `deadline`, or started after it with nothing to read, fail. Null clears it. */
  setDeadline(deadline: Date | number | null): void {
    this.deadline ??= new Deadline(() => this.onDeadline());
    this.deadline.set(deadline, this.hungry);
  }

  /** The transport is gone: reads get what arrived whole (inflated first), then the end; zlib is freed after. */
  finish(): void {
    this.parts.decompressor?.closeWhenDone();
    this.service();
    this.deadline?.stop();
  }

  /** Adds a read that found nothing to take at once; it may get something now, or fail at once past the deadline. */
  protected wait(kind: ReadKind, signal: AbortSignal | undefined): Promise<ReadResult> {
    const waiter = new ReadWaiter(kind, signal, signal === undefined ? undefined : (w) => this.forget(w));
    if (waiter.isSettled) return waiter.promise;
    if (this.firstWaiter === null) this.firstWaiter = waiter;
    else (this.moreWaiters ??= []).push(waiter);
    this.service();
    if (!waiter.isSettled && this.deadline !== null && this.deadline.passed) {
      this.remove(waiter);
      waiter.reject(new DeadlineExceededError('read'));
    }
    this.deadline?.arm(this.hungry);
    this.updateFlow();
    return waiter.promise;
  }

  /** Takes the oldest waiting read off the line (there must be one). */
  protected shiftWaiter(): ReadWaiter {
    const waiter = this.firstWaiter!;
    const more = this.moreWaiters;
    this.firstWaiter = more === null ? null : (more.shift() ?? null);
    if (more !== null && more.length === 0) this.moreWaiters = null;
    return waiter;
  }

  private remove(waiter: ReadWaiter): void {
    if (this.firstWaiter === waiter) this.shiftWaiter();
    else if (this.moreWaiters !== null) removeWaiter(this.moreWaiters, waiter);
  }

  /** A read gave up (its signal fired). */
  private forget(waiter: Waiter<ReadResult>): void {
    this.remove(waiter as ReadWaiter);
    this.updateFlow();
  }

  private onDeadline(): void {
    const err = new DeadlineExceededError('read');
    const consumer = this.consumer;
    if (consumer !== null && !consumer.busy) this.failConsumer(consumer, err);
    const first = this.firstWaiter;
    const more = this.moreWaiters;
    this.firstWaiter = null;
    this.moreWaiters = null;
    first?.reject(err);
    if (more !== null) for (const w of more) w.reject(err);
    this.stream?.expire(err);
    this.updateFlow();
  }

  // ---------------------------------------------------------------- StreamAccounts (`released` is the base's)

  /** @internal */
  readEnd(): Error | null {
    const end = this.parts.lifecycle.readError();
    // The first read that ends lets a failure's close frame go (see `onReadsExhausted`).
    if (end !== null) this.parts.onReadsExhausted();
    return end;
  }

  /** @internal */
  readDeadlinePassed(): boolean {
    return this.deadline?.passed ?? false;
  }

  /** @internal */
  waitsChanged(): void {
    this.deadline?.arm(this.hungry);
    this.updateFlow();
  }
}
