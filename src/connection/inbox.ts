/**
 * The inbox: messages reported by the core are queued (inflated first when compressed) and handed
 * to reads in order: whole (`readMessage()`, `for await`) or piece by piece (`nextReader()`). Its
 * bases: the reads that wait (`waiting-reads.ts`), and what it holds, counted as memory, with the
 * flow control that bounds it (`inbox-accounts.ts`).
 */
import { Buffer } from 'node:buffer';
import { ReadConflictError } from '../errors.js';
import type { DataOpcode } from '../protocol/core.js';
import { MESSAGE_OVERHEAD } from './inbox-accounts.js';
import { inflationSink } from './inflation.js';
import type { DataMessageType, Message } from './message.js';
import { MessageReader, type ReadOptions } from './message-reader.js';
import type { Decompressor } from './permessage-deflate.js';
import { PieceList } from './piece-list.js';
import { StreamedRead } from './streamed-read.js';
import { RESOLVED } from './waiter.js';
import { type MessageConsumer, type ReadKind, type ReadResult, WaitingReads } from './waiting-reads.js';

const EMPTY = Buffer.alloc(0);
const DONE: IteratorResult<Message> = Object.freeze({ value: undefined, done: true });

/**
 * A message in the queue: its payload pieces in arrival order, readable whole once complete or
 * piece by piece while it is still arriving. A message that came in one piece (most do) holds it
 * in a field; more pieces go to a {@link PieceList}.
 */
export class QueuedMessage {
  readonly type: DataMessageType;
  /** Arrival order on the connection. */
  readonly seq: number;
  /** Payload bytes held and not yet handed to the application. */
  bufferedBytes = 0;
  /** Memory counted against the read buffer besides the payload: the entry itself, and a read chunk it pins. */
  charge = 0;
  /** The last frame has arrived (a compressed message may still be inflating). */
  ended = false;
  /** The last piece has arrived (and, for compressed messages, been inflated). */
  complete = false;
  /** A later read moved on, or the message will never be delivered: further pieces are dropped. */
  abandoned = false;
  /** Compressed bytes received and not yet inflated (counted as buffered meanwhile). */
  compressedBytes = 0;
  private first: Buffer | null = null;
  private rest: PieceList | null = null;

  constructor(type: DataMessageType, seq: number) {
    this.type = type;
    this.seq = seq;
  }

  /** Adds a piece; returns true when it is kept by reference (pinning its read chunk), false when copied or dropped. */
  push(piece: Buffer): boolean {
    if (this.abandoned || piece.length === 0) return false;
    this.bufferedBytes += piece.length;
    if (this.rest !== null) return this.rest.push(piece);
    if (this.first === null) {
      this.first = piece;
      return true;
    }
    this.rest = new PieceList(this.first);
    this.first = null;
    return this.rest.push(piece);
  }

  /** The next held piece, in order, or null when none is held right now. */
  shift(): Buffer | null {
    const piece = this.first ?? this.rest?.shift() ?? null;
    if (piece === null) return null;
    if (piece === this.first) this.first = null;
    this.bufferedBytes -= piece.length;
    return piece;
  }

  /** Everything held, as one buffer (no copy when it is a single piece). */
  takeAll(): Buffer {
    const whole = this.rest !== null ? this.rest.takeAll(this.bufferedBytes) : (this.first ?? EMPTY);
    this.first = null;
    this.rest = null;
    this.bufferedBytes = 0;
    return whole;
  }

  /** Drops what is held and everything still to come. Returns the payload bytes released. */
  abandon(): number {
    const released = this.bufferedBytes;
    this.abandoned = true;
    this.first = null;
    this.rest = null;
    this.bufferedBytes = 0;
    return released;
  }
}

/** Messages from the core, queued in order and handed to reads; the reads that wait are its base's. */
export class Inbox extends WaitingReads {
  private receiving: QueuedMessage | null = null;
  private receivingJob: ReturnType<Decompressor['begin']> | null = null;
  /** A compressed message was dropped while closing: later ones cannot be inflated either. */
  private droppedCompressed = false;
  private received = 0;

  // ---------------------------------------------------------------- reads

  read(kind: 'message', options?: ReadOptions): Promise<Message>;
  read(kind: 'iterate'): Promise<IteratorResult<Message>>;
  read(kind: 'reader', options?: ReadOptions): Promise<MessageReader>;
  read(kind: ReadKind, options?: ReadOptions): Promise<ReadResult> {
    if (this.consumer !== null) return Promise.reject(new ReadConflictError('read'));
    if (kind !== 'reader' && this.firstWaiter === null && !(this.stream?.waiting ?? false)) {
      this.stream?.abandon();
      const head = this.front;
      // The usual case when the application keeps up: the message is here, no waiting.
      if (head !== null && head.complete) {
        const message = this.dequeueWhole();
        return Promise.resolve(kind === 'iterate' ? { value: message, done: false } : message);
      }
    }
    return this.wait(kind, options?.signal);
  }

  /** `for await` over the messages (`Conn[Symbol.asyncIterator]`). */
  iterator(): AsyncIterator<Message> {
    return new MessageIterator(this);
  }

  /**
   * After input from the transport: a `forEachMessage()` handler gets what came at once (the
   * transport's event is a safe place to call it from), then the rest is serviced.
   */
  serviceInput(): void {
    const consumer = this.consumer;
    if (consumer !== null && !consumer.busy) this.feed(consumer);
    this.service();
  }

  /** Hands queued messages and pieces to whoever waits for them, then adjusts the flow. */
  override service(): void {
    const consumer = this.consumer;
    // Anywhere else (inside a parse, an inflation, the application's own call) the handler is
    // not called on the stack: it gets its messages from a microtask.
    if (consumer !== null && !consumer.busy && this.consumerDue()) {
      consumer.busy = true;
      queueMicrotask(() => this.resume(consumer));
    }
    while (this.firstWaiter !== null) {
      const kind = this.firstWaiter.kind;
      // Whether reads end, not the error they end with: a quiet end of iteration needs none built.
      const ended = this.parts.lifecycle.endCause !== null;
      const head = this.frontAfterEnd(ended);
      if (head === null || (kind !== 'reader' && !head.complete)) {
        if (head !== null || !ended) break;
        const waiter = this.shiftWaiter();
        this.parts.onReadsExhausted();
        if (kind === 'iterate' && this.parts.lifecycle.endsQuietly) waiter.resolve(DONE);
        else waiter.reject(this.parts.lifecycle.readError()!);
        continue;
      }
      const waiter = this.shiftWaiter();
      this.stream?.abandon();
      if (kind === 'message') waiter.resolve(this.dequeueWhole());
      else if (kind === 'iterate') waiter.resolve({ value: this.dequeueWhole(), done: false });
      else {
        this.shiftQueue();
        (this.stream ??= new StreamedRead(this)).message = head;
        waiter.resolve(new MessageReader(head, this));
      }
    }
    this.stream?.service();
    this.deadline?.arm(this.hungry);
    this.updateFlow();
  }

  // ---------------------------------------------------------------- the core's events

  onMessageStart(opcode: DataOpcode, compressed: boolean): void {
    const message = new QueuedMessage(opcode, this.received++);
    this.receiving = message;
    // Once our close frame is out nobody may still be reading: keep what fits the read buffer,
    // drop the rest. A compressed message dropped is not inflated, so later ones (which may
    // refer back to it) go too.
    if (this.parts.lifecycle.closeSent && (this.held >= this.parts.readBufferSize || (compressed && this.droppedCompressed))) {
      message.abandoned = true;
      if (compressed) this.droppedCompressed = true;
      return;
    }
    message.charge = MESSAGE_OVERHEAD;
    this.held += MESSAGE_OVERHEAD;
    this.pushQueue(message);
    if (compressed) this.receivingJob = this.parts.decompressor!.begin(inflationSink(message, this.parts.readLimit(), this));
  }

  onMessageData(data: Buffer): void {
    const message = this.receiving!;
    if (message.abandoned) return;
    this.buffered += data.length;
    this.held += data.length;
    if (this.receivingJob !== null) {
      // Counted as held until inflated, so a flood of compressed data meets backpressure too.
      message.compressedBytes += data.length;
      this.chargeChunk(message, data);
      this.parts.decompressor!.write(this.receivingJob, data);
      return;
    }
    if (message.push(data)) this.chargeChunk(message, data);
  }

  onMessageEnd(): void {
    const message = this.receiving!;
    this.receiving = null;
    message.ended = true;
    if (this.receivingJob === null) {
      message.complete = true;
      return;
    }
    this.parts.decompressor!.end(this.receivingJob);
    this.receivingJob = null;
  }

  // ---------------------------------------------------------------- inside

  /**
   * The front of the queue, once what will never be delivered is dropped from it: after the
   * connection ended in the middle of a message, that message will never be complete. (One that
   * arrived whole and is still inflating will be: it is waited for.)
   */
  private frontAfterEnd(ended: boolean): QueuedMessage | null {
    let head = this.front;
    while (ended && head !== null && !this.deliverable(head)) {
      this.shiftQueue();
      this.release(head);
      head = this.front;
    }
    return head;
  }

  /** `feed` has something to do: a whole message to hand over, one to drop, or the end to report. */
  private consumerDue(): boolean {
    const head = this.front;
    const ended = this.parts.lifecycle.endCause !== null;
    return head === null ? ended : head.complete || (ended && !this.deliverable(head));
  }

  /**
   * Calls the consumer's handler with each whole message, in order, until none is left, the
   * handler returns a promise still to settle, or the reads end (quietly or with their error, as
   * `for await` does). `busy` keeps a call made from inside the handler from delivering out of turn.
   */
  private feed(consumer: MessageConsumer): void {
    consumer.busy = true;
    while (this.consumer === consumer) {
      const ended = this.parts.lifecycle.endCause !== null;
      const head = this.frontAfterEnd(ended);
      if (head === null || !head.complete) {
        if (head === null && ended) this.endConsumer(consumer);
        break;
      }
      const message = this.dequeueWhole();
      try {
        const result = consumer.handler(message, consumer.conn);
        if (result !== undefined && result !== RESOLVED && typeof result.then === 'function') {
          result.then(
            () => this.resume(consumer),
            (err: unknown) => this.failConsumer(consumer, err),
          );
          return;
        }
      } catch (err) {
        // The handler threw (or its promise's `then` did).
        this.failConsumer(consumer, err);
        break;
      }
    }
    consumer.busy = false;
  }

  /** The handler's promise settled, or a delivery was due: on with the next messages. */
  private resume(consumer: MessageConsumer): void {
    consumer.busy = false;
    if (this.consumer !== consumer) return;
    this.feed(consumer);
    this.service();
  }

  /** The reads have ended: a quiet end resolves `forEachMessage()`, any other rejects it. */
  private endConsumer(consumer: MessageConsumer): void {
    this.consumer = null;
    this.parts.onReadsExhausted();
    if (this.parts.lifecycle.endsQuietly) consumer.resolve();
    else consumer.reject(this.parts.lifecycle.readError()!);
  }

  private dequeueWhole(): Message {
    const message = this.front!;
    this.shiftQueue();
    this.unhold(message, message.bufferedBytes);
    const data = message.takeAll();
    if (this.paused) this.updateFlow();
    return { type: message.type, data };
  }
}

/** `for await` over an inbox: a small object, not a closure, as it lives as long as the loop. */
class MessageIterator implements AsyncIterator<Message> {
  private readonly inbox: Inbox;
  constructor(inbox: Inbox) {
    this.inbox = inbox;
  }
  next(): Promise<IteratorResult<Message>> {
    return this.inbox.read('iterate');
  }
}
