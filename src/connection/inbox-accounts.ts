/**
 * What the inbox holds, and the flow control it drives: when enough is held and no read waits,
 * the transport is paused, which is backpressure on the peer (TCP's window, or HTTP/2's). Also
 * where inflation and streamed reads report what they add and release.
 *
 * What is held is counted as memory, not only payload: each queued message is charged a fixed
 * overhead, and a message that pins a read chunk much larger than itself is charged the chunk
 * (`chargeChunk`), so no peer can make a connection hold much more than `readBufferSize`,
 * whatever it sends. The inbox itself (`inbox.ts`) queues messages and hands them to reads.
 */
import type { EndCause } from '../protocol/ending.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { QueuedMessage } from './inbox.js';
import type { InflationTarget } from './inflation.js';
import type { Decompressor } from './permessage-deflate.js';
import type { StreamedRead } from './streamed-read.js';

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

/** The inbox's queue and what it holds; the reads that take from it are the subclass's. */
export abstract class InboxAccounts implements InflationTarget {
  protected readonly parts: InboxParts;
  /** The oldest queued message: with a reader that keeps up, the only one, so it needs no array. */
  protected front: QueuedMessage | null = null;
  /** The messages behind it, in arrival order; those before `queueHead` are taken. */
  private readonly queue: QueuedMessage[] = [];
  private queueHead = 0;
  /** Made at the first `nextReader()`: most connections never stream a message. */
  protected stream: StreamedRead | null = null;
  /** Payload bytes held for the application. */
  protected buffered = 0;
  /** Memory held for the application: payload, overheads, pinned read chunks. What flow control counts. */
  protected held = 0;
  protected paused = false;
  /** zlib failed: compressed messages still queued will never complete. */
  inflationDead = false;
  /**
   * The memory of the read chunk being parsed, set by the driver for the length of a read: every
   * payload piece the core reports is a view of it. (A piece's own `.buffer` costs about 20 ns a
   * read, once per message.)
   */
  readChunk: ArrayBufferLike | null = null;
  /** The read chunk last charged to a message (its other messages are not charged it again); null once nothing is held. */
  private lastChunk: ArrayBufferLike | null = null;

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
    const streamed = this.stream?.message ?? null;
    if (streamed !== null && this.deliverable(streamed)) return true;
    if (this.front !== null && this.deliverable(this.front)) return true;
    for (let i = this.queueHead; i < this.queue.length; i++) if (this.deliverable(this.queue[i]!)) return true;
    return false;
  }

  /** The message is whole, or arrived whole and is still inflating: it will be delivered. */
  protected deliverable(m: QueuedMessage): boolean {
    return m.complete || (m.ended && !this.inflationDead);
  }

  /** True when a read is waiting: worth calling {@link service} after new input. */
  abstract get hungry(): boolean;

  /** Hands queued messages and pieces to whoever waits for them, then adjusts the flow. */
  abstract service(): void;

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

  /** Queues a message behind the others. */
  protected pushQueue(message: QueuedMessage): void {
    if (this.front === null) this.front = message;
    else this.queue.push(message);
  }

  /**
   * Takes the oldest message off the queue (there must be one). The array behind it lets go of its
   * backing store once emptied (about 150 bytes), which a connection that goes quiet after a burst
   * would otherwise keep for good.
   */
  protected shiftQueue(): void {
    const queue = this.queue;
    if (this.queueHead === queue.length) {
      this.front = null;
      return;
    }
    this.front = queue[this.queueHead]!;
    queue[this.queueHead++] = undefined as unknown as QueuedMessage;
    if (this.queueHead === queue.length) {
      queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 64 && this.queueHead * 2 > queue.length) {
      queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Drops a message and what it holds. */
  protected release(message: QueuedMessage): void {
    this.unhold(message, message.abandon());
  }

  /** `bytes` of `message`'s payload left the inbox, and with them its charge. */
  protected unhold(message: QueuedMessage, bytes: number): void {
    this.buffered -= bytes;
    this.held -= bytes + message.charge;
    message.charge = 0;
    // Nothing held pins a chunk now: a connection gone quiet after a burst keeps no read chunk alive.
    if (this.held === 0) this.lastChunk = null;
  }

  /**
   * A small piece that is a view of a much larger read chunk keeps the whole chunk alive: the first
   * message to reference a chunk is charged for it, so pinned memory meets backpressure too.
   */
  protected chargeChunk(message: QueuedMessage, data: Buffer): void {
    const chunk = this.readChunk ?? data.buffer;
    if (chunk === this.lastChunk || chunk.byteLength <= data.length * 2) return;
    this.lastChunk = chunk;
    const pinned = chunk.byteLength - data.length;
    message.charge += pinned;
    this.held += pinned;
  }

  /** A read waits for a message that arrived whole and is still inflating: more input cannot help it. */
  private waitsOnInflation(): boolean {
    const head = this.stream?.message ?? this.front;
    return head !== null && head.ended && !head.complete;
  }

  // ---------------------------------------------------------------- StreamAccounts (in part), InflationTarget

  /** @internal */
  released(message: QueuedMessage, bytes: number): void {
    this.unhold(message, bytes);
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
    if (keep > this.queueHead) {
      this.queue.length = keep;
    } else {
      // Nothing left behind the front, which may itself be the bad message or after it.
      this.queue.length = this.queueHead = 0;
      if (this.front !== null && this.front.seq >= bad.seq) {
        this.release(this.front);
        this.front = null;
      }
    }
    this.parts.decompressor?.close();
    this.parts.fail(error);
    this.service();
  }
}
