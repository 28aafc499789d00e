/**
 * The inbox: messages reported by the core are queued (inflated first when compressed), handed
 * to reads in order, and held to a bounded amount of memory. When the application does not keep
 * up, the transport is paused, which is backpressure on the peer (TCP's window, or HTTP/2's).
 *
 * What is held is counted as memory, not only payload: each queued message is charged a fixed
 * overhead, and a message that pins a read chunk much larger than itself is charged the chunk,
 * so no peer can make a connection hold much more than `readBufferSize`, whatever it sends.
 */
import { DeadlineExceededError } from '../errors.js';
import type { DataOpcode } from '../protocol/core.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { EndCause } from '../protocol/ending.js';
import { Deadline } from './deadline.js';
import { inflationSink, type InflationTarget } from './inflation.js';
import type { Message } from './message.js';
import { MessageReader, type ReadOptions } from './message-reader.js';
import type { Decompressor } from './permessage-deflate.js';
import { QueuedMessage } from './queued-message.js';
import { type StreamAccounts, StreamedRead } from './streamed-read.js';
import { Waiter, removeWaiter } from './waiter.js';

/** Heap held by one queued message besides its payload (its entry, a view of its bytes): about 250 bytes measured for a 1-byte message. */
export const MESSAGE_OVERHEAD = 256;

/** What the inbox reads of the lifecycle: reads end with its cause. */
export interface InboxLifecycle {
  /** Why the connection is ending; null while open. Checked before `readError()`, which builds an error. */
  readonly endCause: EndCause | null;
  readError(): Error | null;
  readonly endsQuietly: boolean;
  /** Our close frame is out: nobody may still be reading, so the transport is never paused. */
  readonly closeSent: boolean;
}

/** What the inbox is given. */
export interface InboxParts {
  readonly lifecycle: InboxLifecycle;
  readonly readBufferSize: number;
  readonly decompressor: Decompressor | null;
  /** Stops (true) or resumes (false) reading from the transport. */
  setPaused(paused: boolean): void;
  /** What we write is backed up: input waits too, or a peer that pings without reading would pile up pongs. */
  outputBackedUp(): boolean;
  /** The read limit, for messages as they inflate. */
  readLimit(): number;
  /** A compressed message turned out bad: fail the connection (§7.1.7). */
  fail(error: ProtocolError): void;
  /** A read is about to end with the cause: everything received before the end has been read. */
  onReadsExhausted(): void;
}

type ReadResult = Message | MessageReader | IteratorResult<Message>;
type ReadKind = 'message' | 'reader' | 'iterate';
const DONE: IteratorResult<Message> = Object.freeze({ value: undefined, done: true });

/** A waiting read, and what it waits for: a whole message, the next turn of `for await`, or a reader. */
class ReadWaiter extends Waiter<ReadResult> {
  readonly kind: ReadKind;
  constructor(kind: ReadKind, signal: AbortSignal | undefined, onAbort: ((waiter: Waiter<ReadResult>) => void) | undefined) {
    super(signal, onAbort);
    this.kind = kind;
  }
}

export class Inbox implements StreamAccounts, InflationTarget {
  private readonly parts: InboxParts;
  private readonly queue: QueuedMessage[] = [];
  private queueHead = 0;
  private receiving: QueuedMessage | null = null;
  private receivingJob: ReturnType<Decompressor['begin']> | null = null;
  /** Made at the first `nextReader()`: most connections never stream a message. */
  private stream: StreamedRead | null = null;
  private waiters: ReadWaiter[] = [];
  /** Payload bytes held for the application. */
  private buffered = 0;
  /** Memory held for the application: payload, overheads, pinned read chunks. What flow control counts. */
  private held = 0;
  private paused = false;
  /** The read chunk last charged to a message: its other messages are not charged it again. */
  private lastChunk: ArrayBufferLike | null = null;
  /** A compressed message was dropped while closing: later ones cannot be inflated either. */
  private droppedCompressed = false;
  /** zlib failed: compressed messages still queued will never complete. */
  inflationDead = false;
  private received = 0;
  /** Made at the first `setReadDeadline`: most connections never set one. */
  private deadline: Deadline | null = null;

  constructor(parts: InboxParts) {
    this.parts = parts;
  }

  /** Payload bytes received and not yet handed to the application (compressed ones until inflated). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Memory held for the application, as flow control counts it. */
  get heldBytes(): number {
    return this.held;
  }

  /** Reading from the transport is paused by our own backpressure: the peer's silence means nothing now. */
  get holdingPeer(): boolean {
    return this.paused;
  }

  /** Messages received whole (or still inflating) that the application has not read: a failure's close frame waits for them. */
  get hasUndelivered(): boolean {
    const deliverable = (m: QueuedMessage): boolean => m.complete || (m.ended && !this.inflationDead);
    const streamed = this.stream?.message ?? null;
    if (streamed !== null && deliverable(streamed)) return true;
    for (let i = this.queueHead; i < this.queue.length; i++) if (deliverable(this.queue[i]!)) return true;
    return false;
  }

  /** True when a read is waiting: worth calling {@link service} after new input. */
  get hungry(): boolean {
    return this.waiters.length > 0 || (this.stream?.waiting ?? false);
  }

  // ---------------------------------------------------------------- reads

  read(kind: 'message', options?: ReadOptions): Promise<Message>;
  read(kind: 'iterate'): Promise<IteratorResult<Message>>;
  read(kind: 'reader', options?: ReadOptions): Promise<MessageReader>;
  read(kind: ReadKind, options?: ReadOptions): Promise<ReadResult> {
    if (kind !== 'reader' && this.waiters.length === 0 && !(this.stream?.waiting ?? false)) {
      this.stream?.abandon();
      const head = this.front;
      // The usual case when the application keeps up: the message is here, no waiting.
      if (head !== null && head.complete) {
        const message = this.dequeueWhole();
        return Promise.resolve(kind === 'iterate' ? { value: message, done: false } : message);
      }
    }
    const signal = options?.signal;
    const waiter = new ReadWaiter(kind, signal, signal === undefined ? undefined : (w) => this.forget(w));
    if (waiter.isSettled) return waiter.promise;
    this.waiters.push(waiter);
    this.service();
    if (!waiter.isSettled && this.deadline !== null && this.deadline.passed) {
      removeWaiter(this.waiters, waiter);
      waiter.reject(new DeadlineExceededError('read'));
    }
    this.deadline?.arm(this.hungry);
    this.updateFlow();
    return waiter.promise;
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

  /** Hands queued messages and pieces to whoever waits for them, then adjusts the flow. */
  service(): void {
    while (this.waiters.length > 0) {
      const kind = this.waiters[0]!.kind;
      const head = this.front;
      // Whether reads end, not the error they end with: a quiet end of iteration needs none built.
      const ended = this.parts.lifecycle.endCause !== null;
      if (head !== null && !head.complete && ended && !(head.ended && !this.inflationDead)) {
        // The connection ended in the middle of this message: it will never be complete. (One
        // that arrived whole and is still inflating will be: it is waited for.)
        this.queueHead++;
        this.release(head);
        continue;
      }
      if (head === null || (kind !== 'reader' && !head.complete)) {
        if (head !== null || !ended) break;
        const waiter = this.waiters.shift()!;
        this.parts.onReadsExhausted();
        if (kind === 'iterate' && this.parts.lifecycle.endsQuietly) waiter.resolve(DONE);
        else waiter.reject(this.parts.lifecycle.readError()!);
        continue;
      }
      const waiter = this.waiters.shift()!;
      this.stream?.abandon();
      if (kind === 'message') waiter.resolve(this.dequeueWhole());
      else if (kind === 'iterate') waiter.resolve({ value: this.dequeueWhole(), done: false });
      else {
        this.queue[this.queueHead++] = undefined as unknown as QueuedMessage;
        (this.stream ??= new StreamedRead(this)).message = head;
        waiter.resolve(new MessageReader(head, this));
      }
    }
    this.stream?.service();
    this.deadline?.arm(this.hungry);
    this.updateFlow();
  }

  /**
   * Pauses the transport when enough is held and nobody waits for more, or when what we write backs
   * up (a peer that pings and does not read); resumes otherwise. Inflation is held the same way.
   */
  updateFlow(): void {
    const over = this.held >= this.parts.readBufferSize;
    const full = over && !this.hungry;
    // Compressed input can grow a thousandfold: inflation is paced the same way, closing or not.
    this.parts.decompressor?.hold(full);
    const pause = !this.parts.lifecycle.closeSent && (full || (over && this.waitsOnInflation()) || this.parts.outputBackedUp());
    if (pause === this.paused) return;
    this.paused = pause;
    this.parts.setPaused(pause);
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
    this.queue.push(message);
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

  /** The transport is gone: reads get what arrived whole (inflated first), then the end; zlib is freed after. */
  finish(): void {
    this.parts.decompressor?.closeWhenDone();
    this.service();
    this.deadline?.stop();
  }

  // ---------------------------------------------------------------- inside

  /**
   * A small piece that is a view of a much larger read chunk keeps the whole chunk alive: the first
   * message to reference a chunk is charged for it, so pinned memory meets backpressure too.
   */
  private chargeChunk(message: QueuedMessage, data: Buffer): void {
    const chunk = data.buffer;
    if (chunk === this.lastChunk || chunk.byteLength <= data.length * 2) return;
    this.lastChunk = chunk;
    const pinned = chunk.byteLength - data.length;
    message.charge += pinned;
    this.held += pinned;
  }

  /** The oldest queued message, or null. */
  private get front(): QueuedMessage | null {
    return this.queueHead < this.queue.length ? this.queue[this.queueHead]! : null;
  }

  /** A read gave up (its signal fired). */
  private forget(waiter: Waiter<ReadResult>): void {
    removeWaiter(this.waiters, waiter as ReadWaiter);
    this.updateFlow();
  }

  /** The error a read ends with; the first such read lets a failure's close frame go (see `onReadsExhausted`). */
  private exhausted(end: Error): Error {
    this.parts.onReadsExhausted();
    return end;
  }

  private dequeueWhole(): Message {
    const message = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as unknown as QueuedMessage;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.unhold(message, message.bufferedBytes);
    const data = message.takeAll();
    if (this.paused) this.updateFlow();
    return { type: message.type, data };
  }

  /** Drops a message and what it holds. */
  private release(message: QueuedMessage): void {
    this.unhold(message, message.abandon());
  }

  /** `bytes` of `message`'s payload left the inbox, and with them its charge. */
  private unhold(message: QueuedMessage, bytes: number): void {
    this.buffered -= bytes;
    this.held -= bytes + message.charge;
    message.charge = 0;
  }

  /** A read waits for a message that arrived whole and is still inflating: more input cannot help it. */
  private waitsOnInflation(): boolean {
    const head = this.stream?.message ?? this.front;
    return head !== null && head.ended && !head.complete;
  }

  private onDeadline(): void {
    const err = new DeadlineExceededError('read');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    this.stream?.expire(err);
    this.updateFlow();
  }

  // ---------------------------------------------------------------- StreamAccounts, InflationTarget

  /** @internal */
  released(message: QueuedMessage, bytes: number): void {
    this.unhold(message, bytes);
    this.updateFlow();
  }

  /** @internal */
  readEnd(): Error | null {
    const end = this.parts.lifecycle.readError();
    return end === null ? null : this.exhausted(end);
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

  /** @internal */
  inflated(message: QueuedMessage, piece: Buffer): void {
    message.push(piece);
    this.buffered += piece.length;
    this.held += piece.length;
    if (this.hungry) this.service();
    else this.updateFlow();
  }

  /** @internal */
  complete(message: QueuedMessage): void {
    message.complete = true;
    this.service();
  }

  /** @internal */
  releaseCompressed(message: QueuedMessage): void {
    this.buffered -= message.compressedBytes;
    this.held -= message.compressedBytes;
    message.compressedBytes = 0;
  }

  /**
   * A compressed message turned out bad: the connection fails (§7.1.7). Messages after it were
   * read off the wire but are not delivered (the connection failed before them); those before still are.
   */
  /** @internal */
  failed(bad: QueuedMessage, error: ProtocolError): void {
    this.inflationDead = true;
    let keep = this.queue.length;
    while (keep > this.queueHead && this.queue[keep - 1]!.seq >= bad.seq) keep--;
    for (let i = keep; i < this.queue.length; i++) this.release(this.queue[i]!);
    this.queue.length = keep;
    this.parts.decompressor?.close();
    this.parts.fail(error);
    this.service();
  }
}
