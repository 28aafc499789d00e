/**
 * The receiving half of a connection: messages reported by the state machine are queued (inflated
 * first when compressed), handed to readers in order, and held to a bounded amount: when the
 * application does not keep up, the socket is paused, which is TCP backpressure on the peer.
 */
import type { Duplex } from 'node:stream';
import { DeadlineExceededError, ReaderSupersededError } from '../errors.js';
import { IncomingMessage } from './incoming.js';
import { type Message, TextMessage } from './message.js';
import { MessageReader, type PieceSource, type ReadOptions } from './message-reader.js';
import type { Decompressor, InflateSink } from './permessage-deflate.js';
import { CloseInvalidFramePayloadData, CloseMessageTooBig } from '../protocol/close.js';
import type { Connection, DataOpcode } from '../protocol/connection.js';
import { WebSocketError } from '../protocol/errors.js';
import { Utf8Validator } from '../protocol/utf8.js';
import { LazyError } from './lazy-error.js';

/** What the read side needs from its connection. */
export interface ReadSideHost {
  readonly socket: Duplex;
  readonly core: Connection;
  /** Our close frame is out: nobody may be reading any more, so the socket is never paused. */
  readonly closing: boolean;
  /** The read side failed the connection (a message inflated badly): flush and close TCP. */
  afterLocalFailure(): void;
  /** A read is about to get the terminal error: everything received before the end has been read. */
  onReadsExhausted(): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface ReadWaiter extends Waiter<Message | MessageReader | IteratorResult<Message>> {
  /** `iterate` is `for await`: a normal close ends it without an error. */
  kind: 'message' | 'reader' | 'iterate';
}

interface PieceWaiter extends Waiter<Buffer | null> {
  message: IncomingMessage;
}

export class ReadSide implements PieceSource {
  private readonly host: ReadSideHost;
  private readonly readBufferSize: number;
  private readonly writeHighWaterMark: number;
  private readonly decompressor: Decompressor | null;
  private readonly queue: IncomingMessage[] = [];
  private queueHead = 0;
  private receiving: IncomingMessage | null = null;
  private receivingJob: ReturnType<Decompressor['begin']> | null = null;
  /** The message an open `MessageReader` is streaming, once taken off the queue. */
  private streaming: IncomingMessage | null = null;
  private waiters: ReadWaiter[] = [];
  private pieceWaiter: PieceWaiter | null = null;
  private buffered = 0;
  private paused = false;
  private finished = false;
  /** A compressed message was dropped while closing: later ones cannot be inflated either. */
  private droppedCompressed = false;
  /** Messages started so far: the next one's arrival number. */
  private received = 0;
  /** zlib failed or was freed: compressed messages still queued will never complete. */
  private inflationDead = false;
  /** What reads throw once the queue is empty: the peer closed, or the connection failed. */
  private readonly ending = new LazyError();
  private endedNormally = false;
  private deadline: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(host: ReadSideHost, readBufferSize: number, decompressor: Decompressor | null, writeHighWaterMark = Number.POSITIVE_INFINITY) {
    this.host = host;
    this.readBufferSize = readBufferSize;
    this.decompressor = decompressor;
    this.writeHighWaterMark = writeHighWaterMark;
  }

  /** Bytes received and not yet handed to the application (compressed ones included until inflated). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** What reads throw once everything queued has been read, if the connection has ended. */
  get terminalError(): Error | null {
    return this.ending.get();
  }

  /**
   * Sets what reads throw once everything queued has been read; the first error wins. `normal`:
   * the peer closed normally, so iteration just ends (and the error need never be built).
   */
  setError(err: Error | (() => Error), normal = false): void {
    if (this.ending.isSet) return;
    this.ending.set(err);
    this.endedNormally = normal;
  }

  private get ended(): boolean {
    return this.ending.isSet;
  }

  /**
   * Messages received whole (or still inflating) that the application has not read yet. After a
   * failure, its close frame waits for these, so that the application can answer them first.
   */
  get hasUndelivered(): boolean {
    const deliverable = (m: IncomingMessage): boolean => m.complete || (m.ended && !this.inflationDead);
    if (this.streaming !== null && deliverable(this.streaming)) return true;
    for (let i = this.queueHead; i < this.queue.length; i++) if (deliverable(this.queue[i]!)) return true;
    return false;
  }

  /** The terminal error, for a read that has nothing left to read. */
  private exhausted(): Error {
    this.host.onReadsExhausted();
    return this.terminalError!;
  }

  // ---------------------------------------------------------------- reading

  readMessage(options?: ReadOptions): Promise<Message> {
    if (this.waiters.length === 0 && this.pieceWaiter === null) {
      this.abandonStreaming();
      const head = this.front;
      if (head !== null && head.complete) return Promise.resolve(this.dequeueWhole());
    }
    return this.wait('message', options) as Promise<Message>;
  }

  /** The next step of `for await`: a message, or the end after a normal close. */
  iterate(): Promise<IteratorResult<Message>> {
    if (this.waiters.length === 0 && this.pieceWaiter === null) {
      this.abandonStreaming();
      const head = this.front;
      if (head !== null && head.complete) return Promise.resolve({ value: this.dequeueWhole(), done: false });
    }
    return this.wait('iterate', undefined) as Promise<IteratorResult<Message>>;
  }

  nextReader(options?: ReadOptions): Promise<MessageReader> {
    return this.wait('reader', options) as Promise<MessageReader>;
  }

  /** @internal PieceSource: the next piece of a streamed message. */
  nextPiece(message: IncomingMessage, signal: AbortSignal | undefined): Promise<Buffer | null> {
    if (message !== this.streaming) {
      return message.abandoned ? Promise.reject(new ReaderSupersededError()) : Promise.resolve(null);
    }
    if (this.pieceWaiter !== null) return Promise.reject(new WebSocketError('websocket: concurrent reads on one message reader'));
    const piece = message.shift();
    if (piece !== null) {
      this.buffered -= piece.length;
      this.updateFlow();
      return Promise.resolve(piece);
    }
    if (message.complete) {
      this.streaming = null;
      return Promise.resolve(null);
    }
    if (this.ended) return Promise.reject(this.exhausted());
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: PieceWaiter = { message, resolve, reject, signal, onAbort: undefined };
      if (this.deadline !== null && Date.now() >= this.deadline) return reject(new DeadlineExceededError('read'));
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.pieceWaiter === waiter) this.pieceWaiter = null;
          reject(signal.reason);
          this.updateFlow();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.pieceWaiter = waiter;
      this.armTimer();
      this.updateFlow();
    });
  }

  /** Reads waiting at `deadline`, or started after it with nothing to read, fail. `null` clears it. */
  setDeadline(deadline: number | null): void {
    this.deadline = deadline;
    this.armTimer();
  }

  private wait(kind: ReadWaiter['kind'], options: ReadOptions | undefined): Promise<Message | MessageReader | IteratorResult<Message>> {
    return new Promise((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const waiter: ReadWaiter = { kind, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
          this.updateFlow();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      // Usually the only waiter: an exact one-slot array, not one grown to sixteen.
      if (this.waiters.length === 0) this.waiters = [waiter];
      else this.waiters.push(waiter);
      this.service();
      if (!this.waiters.includes(waiter)) return;
      if (this.deadline !== null && Date.now() >= this.deadline) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        settle(waiter);
        reject(new DeadlineExceededError('read'));
        return;
      }
      this.armTimer();
      this.updateFlow();
    });
  }

  /** The oldest queued message, or null when none is queued. */
  private get front(): IncomingMessage | null {
    return this.queueHead < this.queue.length ? this.queue[this.queueHead]! : null;
  }

  private dequeueWhole(): Message {
    const message = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as unknown as IncomingMessage;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.buffered -= message.bufferedBytes;
    const data = message.takeAll();
    if (this.paused) this.updateFlow();
    return { type: message.type, data };
  }

  /** A read moved on: whatever is left of the streamed message is dropped. */
  private abandonStreaming(): void {
    const message = this.streaming;
    if (message === null) return;
    this.streaming = null;
    this.buffered -= message.abandon();
    const waiter = this.pieceWaiter;
    if (waiter !== null && waiter.message === message) {
      this.pieceWaiter = null;
      settle(waiter);
      waiter.reject(new ReaderSupersededError());
    }
  }

  /** Hands queued messages and pieces to whoever is waiting for them, then adjusts the flow. */
  service(): void {
    // The usual case, once per message: one read waiting, a complete message for it.
    if (this.waiters.length === 1 && this.pieceWaiter === null && this.streaming === null && this.queueHead < this.queue.length) {
      const waiter = this.waiters[0]!;
      if (waiter.kind !== 'reader' && this.queue[this.queueHead]!.complete) {
        this.waiters = [];
        settle(waiter);
        const message = this.dequeueWhole();
        waiter.resolve(waiter.kind === 'iterate' ? { value: message, done: false } : message);
        this.clearTimer();
        this.updateFlow();
        return;
      }
    }
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      const head = this.front;
      if (head !== null && !head.complete && this.ended && !(head.ended && !this.inflationDead)) {
        // The connection ended in the middle of this message: it will never be complete. (One
        // that arrived whole and is still inflating will be: it is waited for.)
        this.queueHead++;
        this.buffered -= head.abandon();
        continue;
      }
      if (head === null || (waiter.kind !== 'reader' && !head.complete)) {
        if (head !== null || !this.ended) break;
        this.waiters.shift();
        settle(waiter);
        if (waiter.kind === 'iterate' && this.endedNormally) waiter.resolve(DONE);
        else waiter.reject(this.exhausted());
        continue;
      }
      this.waiters.shift();
      this.abandonStreaming();
      settle(waiter);
      if (waiter.kind === 'message') {
        waiter.resolve(this.dequeueWhole());
      } else if (waiter.kind === 'iterate') {
        waiter.resolve({ value: this.dequeueWhole(), done: false });
      } else {
        this.queue[this.queueHead++] = undefined as unknown as IncomingMessage;
        this.streaming = head;
        waiter.resolve(new MessageReader(head, this));
      }
    }
    this.servicePieceWaiter();
    if (this.waiters.length === 0 && this.pieceWaiter === null) this.clearTimer();
    this.updateFlow();
  }

  private servicePieceWaiter(): void {
    const waiter = this.pieceWaiter;
    if (waiter === null) return;
    const piece = waiter.message.shift();
    if (piece !== null) {
      this.buffered -= piece.length;
      this.pieceWaiter = null;
      settle(waiter);
      waiter.resolve(piece);
    } else if (waiter.message.complete) {
      this.pieceWaiter = null;
      this.streaming = null;
      settle(waiter);
      waiter.resolve(null);
    } else if (this.ended) {
      this.pieceWaiter = null;
      settle(waiter);
      waiter.reject(this.exhausted());
    }
  }

  /** True when a read is waiting: worth calling {@link service} after new input. */
  get hungry(): boolean {
    return this.waiters.length > 0 || this.pieceWaiter !== null;
  }

  /**
   * Pauses the socket when enough is buffered and nobody waits for more, or when what we write
   * (pongs included) backs up because the peer does not read; resumes otherwise. Conn calls it
   * on the socket's 'drain' too.
   */
  updateFlow(): void {
    const over = this.buffered >= this.readBufferSize;
    const full = over && !this.hungry;
    // Inflation is paced the same way, closing or not: compressed input can grow a thousandfold.
    this.decompressor?.hold(full);
    if (this.finished) return;
    const pause = !this.host.closing && (full || (over && this.waitsOnInflation()) || this.writeBackedUp());
    if (pause && !this.paused) {
      this.paused = true;
      this.host.socket.pause();
    } else if (!pause && this.paused) {
      this.paused = false;
      this.host.socket.resume();
    }
  }

  /**
   * A read waits, but for a message that has arrived whole and is still inflating: more input
   * cannot help it. Without this, a peer pipelining compressed messages to a reader that keeps
   * up filled memory with everything it sent, since the reader always looked hungry.
   */
  private waitsOnInflation(): boolean {
    const head = this.streaming ?? this.front;
    return head !== null && head.ended && !head.complete;
  }

  /**
   * Each ping is answered with a pong (§5.5.2): a peer that pings without reading would make the
   * pongs pile up without bound, so input waits while output does (as gorilla's reader blocks on
   * writing the pong). `writableNeedDrain` guarantees a 'drain' to resume on.
   */
  private writeBackedUp(): boolean {
    const socket = this.host.socket;
    return socket.writableNeedDrain && socket.writableLength > this.writeHighWaterMark;
  }

  private armTimer(): void {
    this.clearTimer();
    if (this.deadline === null || !this.hungry) return;
    this.timer = setTimeout(() => this.onDeadline(), Math.max(0, this.deadline - Date.now()));
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.deadline === null) return;
    if (Date.now() < this.deadline) return this.armTimer();
    const err = new DeadlineExceededError('read');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      settle(w);
      w.reject(err);
    }
    const pieceWaiter = this.pieceWaiter;
    if (pieceWaiter !== null) {
      this.pieceWaiter = null;
      settle(pieceWaiter);
      pieceWaiter.reject(err);
    }
    this.updateFlow();
  }

  // ---------------------------------------------------------------- state machine events

  onMessageStart(opcode: DataOpcode, compressed: boolean): void {
    const message = new IncomingMessage(opcode, this.received++);
    this.receiving = message;
    // While closing, nobody may be reading: keep what fits the read buffer, drop the rest. A
    // compressed message dropped is not inflated, so later ones (which may refer back to it) go too.
    if (this.host.closing && (this.buffered >= this.readBufferSize || (compressed && this.droppedCompressed))) {
      message.abandoned = true;
      if (compressed) this.droppedCompressed = true;
      return;
    }
    this.queue.push(message);
    if (compressed) this.receivingJob = this.decompressor!.begin(this.inflateInto(message));
  }

  onMessageData(data: Buffer): void {
    if (this.receivingJob !== null) {
      // Counted as buffered until inflated, so a flood of compressed data also meets backpressure.
      this.buffered += data.length;
      this.receiving!.compressedBytes += data.length;
      this.decompressor!.write(this.receivingJob, data);
      return;
    }
    const message = this.receiving!;
    if (message.abandoned) return;
    message.push(data);
    this.buffered += data.length;
  }

  onMessageEnd(): void {
    const message = this.receiving!;
    message.ended = true;
    if (this.receivingJob !== null) {
      this.decompressor!.end(this.receivingJob);
      this.receivingJob = null;
    } else {
      message.complete = true;
    }
    this.receiving = null;
  }

  /**
   * Where a compressed message's inflated bytes go. The read limit applies to the inflated size as
   * it is produced, so a small frame can never inflate past it (RFC 6455 §10.4); text is checked
   * for UTF-8 as it comes out (§8.1).
   */
  private inflateInto(message: IncomingMessage): InflateSink {
    const utf8 = message.type === TextMessage ? new Utf8Validator() : null;
    let inflated = 0;
    const releaseCompressed = (): void => {
      this.buffered -= message.compressedBytes;
      message.compressedBytes = 0;
    };
    return {
      push: (piece) => {
        if (this.inflationDead) return;
        inflated += piece.length;
        if (inflated > this.host.core.maxMessageSize) {
          return this.failLocally(message, CloseMessageTooBig, `message inflates past the read limit of ${this.host.core.maxMessageSize} bytes`);
        }
        if (utf8 !== null && !utf8.write(piece)) return this.failLocally(message, CloseInvalidFramePayloadData, 'text message is not valid UTF-8');
        if (message.abandoned) return;
        message.push(piece);
        this.buffered += piece.length;
        if (this.hungry) this.service();
        else this.updateFlow();
      },
      done: () => {
        releaseCompressed();
        if (this.inflationDead) return;
        if (utf8 !== null && !utf8.isComplete()) return this.failLocally(message, CloseInvalidFramePayloadData, 'text message ends inside a UTF-8 sequence');
        message.complete = true;
        this.service();
      },
      fail: (err) => {
        releaseCompressed();
        this.failLocally(message, CloseInvalidFramePayloadData, `invalid compressed data: ${err.message}`);
      },
    };
  }

  /**
   * A compressed message turned out bad while inflating: fail the connection (§7.1.7). Messages
   * received after it were read off the wire but are not delivered: the connection failed before
   * them. Those before it still are.
   */
  private failLocally(bad: IncomingMessage, code: number, reason: string): void {
    this.setError(this.host.core.fail(code, reason));
    this.inflationDead = true;
    let keep = this.queue.length;
    while (keep > this.queueHead && this.queue[keep - 1]!.seq >= bad.seq) keep--;
    for (let i = keep; i < this.queue.length; i++) this.buffered -= this.queue[i]!.abandon();
    this.queue.length = keep;
    this.decompressor?.close();
    this.host.afterLocalFailure();
    this.service();
  }

  /**
   * The socket is gone: settles every waiter with the terminal error, once messages that arrived
   * whole have finished inflating (nothing received is lost); then zlib is freed.
   */
  finish(err: Error | (() => Error)): void {
    this.setError(err);
    this.finished = true;
    this.decompressor?.closeWhenDone();
    this.service();
    this.clearTimer();
  }
}

const DONE: IteratorResult<Message> = Object.freeze({ value: undefined, done: true });

function settle(waiter: { signal: AbortSignal | undefined; onAbort: (() => void) | undefined }): void {
  if (waiter.signal !== undefined && waiter.onAbort !== undefined) waiter.signal.removeEventListener('abort', waiter.onAbort);
}
