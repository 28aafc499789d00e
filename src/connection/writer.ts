/**
 * The sending half of a connection: messages become frames in the core's outbox (compressed
 * first when permessage-deflate is on), batches are flushed to the transport once per tick, and
 * writers wait while the transport is over its high-water mark.
 *
 * Most writes append their frame synchronously and resolve at once. Writes that need time before
 * their bytes exist (compression, a message written in pieces) hold the turn, and later writes
 * queue behind them, so messages stay whole and in call order.
 */
import type { Duplex } from 'node:stream';
import { DeadlineExceededError } from '../errors.js';
import { CloseSentError } from '../protocol/errors.js';
import { Opcode } from '../protocol/frame.js';
import type { FrameSender } from '../protocol/frame-sender.js';
import { isValidUtf8 } from '../protocol/utf8.js';
import { Deadline } from './deadline.js';
import { type Flushable, scheduleFlush } from './flush-scheduler.js';
import { type DataMessageType, type MessageData, TextMessage, isDataMessageType, toBuffer } from './message.js';
import { type FragmentSink, MessageWriter } from './message-writer.js';
import type { Compressor } from './permessage-deflate.js';
import type { PreparedCompression, PreparedMessage } from './prepared-message.js';
import { TurnQueue } from './turn-queue.js';
import { Waiter, rejectAll, removeWaiter } from './waiter.js';

/** Options for the write methods of `Conn` and `MessageWriter`. */
export interface WriteOptions {
  /** Gives up waiting for the turn or for the transport to drain; the rejection is the signal's reason. */
  signal?: AbortSignal;
}

/** permessage-deflate on the sending side, once negotiated. */
export interface WriteCompression {
  compressor: Compressor;
  threshold: number;
  /** How prepared messages are compressed; shared between connections when there is no context takeover. */
  prepared: PreparedCompression;
}

/** What the writer is given. */
export interface WriterParts {
  readonly transport: Duplex;
  /** Frames out. */
  readonly sender: FrameSender;
  readonly isServer: boolean;
  readonly writeBufferSize: number;
  readonly highWaterMark: number;
  readonly compression: WriteCompression | null;
  /** What a new write fails with once the connection no longer takes messages (the lifecycle says why). */
  writeError(): Error | null;
  /** Writes waited past the write deadline: the connection must go. */
  onWriteDeadline(err: DeadlineExceededError): void;
  /** The transport threw on a write: the connection must go. */
  onWriteFailure(err: Error): void;
}

const RESOLVED = Promise.resolve();

export class Writer implements Flushable, FragmentSink {
  /** @internal Flushable */
  flushScheduled = false;
  private readonly parts: WriterParts;
  private compressEnabled = true;
  /** The open writer's message is compressed. */
  private writerCompressed = false;
  private readonly turns = new TurnQueue();
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

  // ---------------------------------------------------------------- messages

  writeMessage(type: DataMessageType, data: MessageData, options?: WriteOptions): Promise<void> {
    if (!isDataMessageType(type)) return Promise.reject(new TypeError(`websocket: ${String(type)} is not a data message type`));
    let payload: Buffer;
    try {
      payload = toBuffer(data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (type === TextMessage && typeof data !== 'string' && !isValidUtf8(payload)) {
      return Promise.reject(new TypeError('websocket: text message is not valid UTF-8'));
    }
    const refused = this.parts.writeError();
    if (refused !== null) return Promise.reject(refused);
    const compression = this.compressionFor(payload.length);
    if (compression !== null) {
      return this.withTurn(options, async () => ({ after: this.append(type, await compression.compressor.compress(payload), true, true, options) }));
    }
    if (this.turns.idle) return this.appendOrReject(type, payload, options);
    return this.withTurn(options, () => Promise.resolve({ after: this.append(type, payload, false, false, options) }));
  }

  writePrepared(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    const refused = this.parts.writeError();
    if (refused !== null) return Promise.reject(refused);
    const compression = this.compressionFor(message.data.length);
    if (compression !== null && !compression.prepared.shareable) {
      // With context takeover, each connection's compressor state differs: compress here.
      return this.withTurn(options, async () => ({
        after: this.append(message.type, await compression.compressor.compress(message.data), true, true, options),
      }));
    }
    if (compression === null) {
      // Uncompressed: the frame (or, for a client, the payload to mask) exists already, so the
      // common broadcast case appends at once, like writeMessage, without waiting for a turn.
      const append = (): Promise<void> => {
        if (!this.parts.isServer) return this.append(message.type, message.data, false, false, options);
        this.checkAlive();
        this.parts.sender.encoded(message.serverFrame());
        return this.afterAppend(false, options);
      };
      if (!this.turns.idle) return this.withTurn(options, () => Promise.resolve({ after: append() }));
      try {
        return append();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    // Shared compressed form: computed once for every connection with these settings.
    return this.withTurn(options, async () => {
      if (!this.parts.isServer) return { after: this.append(message.type, await message.compressedPayload(compression.prepared), true, true, options) };
      const frame = await message.compressedServerFrame(compression.prepared);
      this.checkAlive();
      this.parts.sender.encoded(frame);
      return { after: this.afterAppend(false, options) };
    });
  }

  async nextWriter(type: DataMessageType, options?: WriteOptions): Promise<MessageWriter> {
    if (!isDataMessageType(type)) throw new TypeError(`websocket: ${String(type)} is not a data message type`);
    const refused = this.parts.writeError();
    if (refused !== null) throw refused;
    await this.track(this.turns.acquire(options?.signal));
    if (this.dead !== null) {
      this.turns.release();
      throw this.dead;
    }
    // A streamed message's size is unknown, so the threshold does not apply.
    this.writerCompressed = this.parts.compression !== null && this.compressEnabled;
    return new MessageWriter(type, this);
  }

  /** @internal FragmentSink: one fragment of the open writer's message. */
  async writeFragment(type: DataMessageType, payload: Buffer, first: boolean, fin: boolean): Promise<void> {
    this.checkAlive();
    const compressed = this.writerCompressed;
    const bytes = compressed ? await this.parts.compression!.compressor.compress(payload, fin) : payload;
    this.checkAlive();
    const byReference = this.parts.sender.frame(first ? type : Opcode.Continuation, bytes, fin, compressed && first);
    await this.afterAppend(byReference && !compressed, undefined);
  }

  /** @internal FragmentSink */
  releaseWriter(): void {
    this.turns.release();
  }

  /** After a control frame was queued in the core: flush soon, wait if the transport is backed up. */
  afterControl(options?: WriteOptions): Promise<void> {
    scheduleFlush(this);
    return this.afterAppend(false, options);
  }

  /** gorilla's `EnableWriteCompression`: compress (or not) the messages that follow. */
  setCompression(enabled: boolean): void {
    this.compressEnabled = enabled;
  }

  /** gorilla's `SetCompressionLevel`, for the messages that follow. */
  setCompressionLevel(level: number): void {
    if (!Number.isInteger(level) || level < -1 || level > 9) throw new RangeError('compression level must be an integer from -1 to 9');
    const c = this.parts.compression;
    if (c === null) return;
    c.compressor.setLevel(level);
    c.prepared = { ...c.prepared, level };
  }

  /**
   * Resolves when every write queued so far (and an open writer) is done, or null when none is:
   * `close()` waits for this so that its close frame follows what was written before it.
   */
  whenIdle(): Promise<void> | null {
    if (this.turns.idle) return null;
    return this.turns.acquire().then(() => this.turns.release());
  }

  // ---------------------------------------------------------------- appending and flushing

  private compressionFor(size: number): WriteCompression | null {
    const c = this.parts.compression;
    return c !== null && this.compressEnabled && size >= c.threshold ? c : null;
  }

  private checkAlive(): void {
    if (this.dead !== null) throw this.dead;
  }

  /** Appends a whole message; returns what the caller waits for. Throws when it cannot be sent. */
  private append(type: DataMessageType, payload: Buffer, compressed: boolean, owned: boolean, options: WriteOptions | undefined): Promise<void> {
    this.checkAlive();
    const byReference = this.parts.sender.message(type, payload, compressed);
    return this.afterAppend(byReference && !owned, options);
  }

  private appendOrReject(type: DataMessageType, payload: Buffer, options: WriteOptions | undefined): Promise<void> {
    try {
      return this.append(type, payload, false, false, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Waits for the turn, runs `append` (which may await compression), and passes the turn on
   * before waiting for the transport: the next message may be prepared meanwhile.
   */
  private async withTurn(options: WriteOptions | undefined, append: () => Promise<{ after: Promise<void> }>): Promise<void> {
    await this.track(this.turns.acquire(options?.signal));
    let after: Promise<void>;
    try {
      this.checkAlive();
      ({ after } = await append());
    } catch (err) {
      // Compression cut short by the connection closing: report why the connection closed.
      throw this.dead ?? err;
    } finally {
      this.turns.release();
    }
    return after;
  }

  /** After frames were queued: flush when due, and wait when the transport is backed up. */
  private afterAppend(byReference: boolean, options: WriteOptions | undefined): Promise<void> {
    const transport = this.parts.transport;
    const sender = this.parts.sender;
    if (byReference) {
      // The transport holds the caller's buffer until it is written: wait for that.
      const written = new Waiter<void>();
      (this.writtenWaiters ??= []).push(written);
      this.flush();
      const done = this.track(written.promise);
      return transport.writableNeedDrain ? done.then(() => this.whenDrained(options)) : done;
    }
    if (sender.pendingBytes >= this.parts.writeBufferSize) this.flush();
    else scheduleFlush(this);
    if (transport.writableLength + sender.pendingBytes + this.pinned > this.parts.highWaterMark) {
      this.flush();
      if (transport.writableNeedDrain) return this.whenDrained(options);
    }
    return RESOLVED;
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
    let pin = 0;
    const last = chunks.length - 1;
    if (last > 0) transport.cork();
    for (let i = 0; i <= last; i++) {
      let chunk = chunks[i]!;
      const extra = chunk.buffer.byteLength - chunk.length;
      if (extra > chunk.length) {
        if (backedUp) chunk = ownCopy(chunk);
        else pin = Math.max(pin, extra);
      }
      transport.write(chunk, i === last ? callback : undefined);
    }
    if (last > 0) transport.uncork();
    if (pin > 0 && transport.writableLength > 0) this.pinned = Math.max(this.pinned, pin);
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

  // ---------------------------------------------------------------- deadlines and the end

  /** Writes still waiting at `deadline` fail, and the connection with them. Null clears it. */
  setDeadline(deadline: Date | number | null): void {
    this.deadline ??= new Deadline(() => this.onDeadline());
    this.deadline.set(deadline, this.waiting > 0 && this.dead === null);
  }

  /** Counts a write that is waiting, so the write deadline can see it. */
  private track<T>(wait: Promise<T>): Promise<T> {
    this.waiting++;
    this.deadline?.arm(this.dead === null);
    const settle = (): void => {
      this.waiting--;
      this.deadline?.arm(this.waiting > 0 && this.dead === null);
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

  /** Writes waiting for their turn fail, saying why (our close frame is out); bytes already queued still go. */
  stopQueued(): void {
    if (this.turns.hasWaiters) this.turns.failAll(this.parts.writeError() ?? new CloseSentError());
  }

  /** Why every write fails, once the transport can take nothing more; null while it can. */
  private get dead(): Error | null {
    const cause = this.deadCause;
    if (typeof cause !== 'function') return cause;
    return (this.deadCause = cause());
  }

  /**
   * Every write fails with `err`, queued ones included: the transport can take nothing more. A
   * function is called only if a write needs the error (most connections end with none waiting,
   * and an error's stack trace costs about as much as the rest of a closing handshake).
   */
  failAll(err: Error | (() => Error)): void {
    if (this.deadCause !== null) return;
    this.deadCause = err;
    if (this.turns.hasWaiters) this.turns.failAll(this.dead!);
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

/** A copy in memory of its own (not from Node's shared pool, which would pin 8 KiB of it instead). */
function ownCopy(chunk: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  return copy;
}
