/**
 * A message read piece by piece (`Conn.nextReader()`): the inbox hands the message over once it
 * is at the front of the queue, and its pieces are read as they arrive, without ever holding it
 * whole. One piece read waits at a time; a later read of the connection abandons what is left.
 */
import { DeadlineExceededError, ReaderSupersededError } from '../errors.js';
import { WebSocketError } from '../protocol/errors.js';
import type { QueuedMessage } from './inbox.js';
import { Waiter } from './waiter.js';

/** What a streamed read needs from the inbox: its accounts, its end, its deadline and its flow. */
export interface StreamAccounts {
  /** `bytes` of `message`'s payload left the inbox (its charge goes with the first). */
  released(message: QueuedMessage, bytes: number): void;
  /** The error reads end with once the connection is ending; null while it is not. */
  readEnd(): Error | null;
  readDeadlinePassed(): boolean;
  /** Something started or stopped waiting: rearm the deadline, adjust the flow. */
  waitsChanged(): void;
}

export class StreamedRead {
  private readonly accounts: StreamAccounts;
  /** The message being streamed, once taken off the queue. */
  message: QueuedMessage | null = null;
  private waiter: Waiter<Buffer | null> | null = null;

  constructor(accounts: StreamAccounts) {
    this.accounts = accounts;
  }

  /** A piece read waits. */
  get waiting(): boolean {
    return this.waiter !== null;
  }

  /** The next piece of `message`, or null after its last. */
  next(message: QueuedMessage, signal: AbortSignal | undefined): Promise<Buffer | null> {
    if (message !== this.message) return message.abandoned ? Promise.reject(new ReaderSupersededError()) : Promise.resolve(null);
    if (this.waiter !== null) return Promise.reject(new WebSocketError('websocket: concurrent reads on one message reader'));
    const piece = this.shift(message);
    if (piece !== null) return Promise.resolve(piece);
    if (message.complete) {
      this.message = null;
      return Promise.resolve(null);
    }
    const end = this.accounts.readEnd();
    if (end !== null) return Promise.reject(end);
    if (this.accounts.readDeadlinePassed()) return Promise.reject(new DeadlineExceededError('read'));
    const waiter = new Waiter<Buffer | null>(signal, () => {
      this.waiter = null;
      this.accounts.waitsChanged();
    });
    if (waiter.isSettled) return waiter.promise;
    this.waiter = waiter;
    this.accounts.waitsChanged();
    return waiter.promise;
  }

  /** New input, or the end: settle the waiting piece read if it can be. */
  service(): void {
    const waiter = this.waiter;
    const message = this.message;
    if (waiter === null || message === null) return;
    const piece = this.shift(message);
    if (piece !== null) {
      this.waiter = null;
      waiter.resolve(piece);
    } else if (message.complete) {
      this.waiter = null;
      this.message = null;
      waiter.resolve(null);
    } else {
      const end = this.accounts.readEnd();
      if (end === null) return;
      this.waiter = null;
      waiter.reject(end);
    }
  }

  /** A later read moved on: what is left of the message is dropped. */
  abandon(): void {
    const message = this.message;
    if (message === null) return;
    this.message = null;
    this.accounts.released(message, message.abandon());
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(new ReaderSupersededError());
  }

  /** The read deadline passed: the waiting piece read fails. */
  expire(err: DeadlineExceededError): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }

  private shift(message: QueuedMessage): Buffer | null {
    const piece = message.shift();
    if (piece === null) return null;
    this.accounts.released(message, piece.length);
    return piece;
  }
}
