/**
 * The sending half of a connection: messages become frames in the state machine's outbox
 * (compressed first when permessage-deflate is on), batches are flushed to the socket once per tick,
 * and writers wait while the socket is over its high-water mark.
 *
 * Most writes append their frame synchronously and resolve at once. Writes that need time before
 * their bytes exist (compression, a message written in pieces) hold the turn, and later writes
 * queue behind them, so messages stay whole and in call order.
 */
import type { Duplex } from 'node:stream';
import { DeadlineExceededError } from '../errors.js';
import { type Flushable, scheduleFlush } from './flush-scheduler.js';
import { type DataMessageType, type MessageData, TextMessage, isDataMessageType, toBuffer } from './message.js';
import { type FragmentSink, MessageWriter } from './message-writer.js';
import type { Compressor } from './permessage-deflate.js';
import type { PreparedMessage, PreparedCompression } from './prepared-message.js';
import { CloseAbnormalClosure } from '../protocol/close.js';
import type { Connection } from '../protocol/connection.js';
import { CloseError } from '../protocol/errors.js';
import { Opcode } from '../protocol/frame.js';
import { isValidUtf8 } from '../protocol/utf8.js';
import { LazyError } from './lazy-error.js';
import { TurnQueue } from './turn-queue.js';

/** Options for the write methods of `Conn` and `MessageWriter`. */
export interface WriteOptions {
  /** Gives up waiting for the turn or for the socket to drain; the rejection is the signal's reason. */
  signal?: AbortSignal;
}

/** What the write side needs from its connection. */
export interface WriteSideHost {
  readonly socket: Duplex;
  readonly core: Connection;
  /** Writes waited past the write deadline: the connection must go. */
  onWriteDeadline(err: DeadlineExceededError): void;
}

/** permessage-deflate on the sending side, once negotiated. */
export interface WriteCompression {
  compressor: Compressor;
  threshold: number;
  /** How prepared messages are compressed; shared between connections when there is no context takeover. */
  prepared: PreparedCompression;
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

const RESOLVED = Promise.resolve();

export class WriteSide implements Flushable, FragmentSink {
  /** @internal Flushable */
  flushScheduled = false;
  private readonly host: WriteSideHost;
  private readonly writeBufferSize: number;
  private readonly highWaterMark: number;
  private readonly compression: WriteCompression | null;
  private compressEnabled = true;
  /** The open writer's message is compressed. */
  private writerCompressed = false;
  private readonly turns = new TurnQueue();
  /** New writes are refused with this (a close was requested); queued ones still go. */
  private readonly refusal = new LazyError();
  /** Everything fails with this, queued writes included. */
  private readonly failure = new LazyError();
  private writtenWaiters: Pending[] = [];
  private drainWaiters: Pending[] = [];
  private deadline: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private waiting = 0;

  constructor(host: WriteSideHost, writeBufferSize: number, highWaterMark: number, compression: WriteCompression | null) {
    this.host = host;
    this.writeBufferSize = writeBufferSize;
    this.highWaterMark = highWaterMark;
    this.compression = compression;
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
    if (this.refusal.isSet) return Promise.reject(this.refusal.get());
    const compression = this.compressionFor(payload.length);
    if (compression !== null) {
      return this.withTurn(options, async () => ({ after: this.append(type, await compression.compressor.compress(payload), true, true, options) }));
    }
    if (this.turns.idle) return this.appendOrReject(type, payload, options);
    return this.withTurn(options, () => Promise.resolve({ after: this.append(type, payload, false, false, options) }));
  }

  writePrepared(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    if (this.refusal.isSet) return Promise.reject(this.refusal.get());
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
        const core = this.host.core;
        if (core.role !== 'server') return this.append(message.type, message.data, false, false, options);
        core.sendEncodedFrame(message.serverFrame());
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
      const core = this.host.core;
      if (core.role === 'server') {
        core.sendEncodedFrame(await message.compressedServerFrame(compression.prepared));
        return { after: this.afterAppend(false, options) };
      }
      return { after: this.append(message.type, await message.compressedPayload(compression.prepared), true, true, options) };
    });
  }

  async nextWriter(type: DataMessageType, options?: WriteOptions): Promise<MessageWriter> {
    if (!isDataMessageType(type)) throw new TypeError(`websocket: ${String(type)} is not a data message type`);
    if (this.refusal.isSet) throw this.refusal.get()!;
    await this.track(this.turns.acquire(options?.signal));
    if (this.failure.isSet) {
      this.turns.release();
      throw this.failure.get()!;
    }
    // A streamed message's size is unknown, so the threshold does not apply.
    this.writerCompressed = this.compression !== null && this.compressEnabled;
    return new MessageWriter(type, this);
  }

  /** @internal FragmentSink: one fragment of the open writer's message. */
  async writeFragment(type: DataMessageType, payload: Buffer, first: boolean, fin: boolean): Promise<void> {
    if (this.failure.isSet) throw this.failure.get()!;
    const compressed = this.writerCompressed;
    const bytes = compressed ? await this.compression!.compressor.compress(payload, fin) : payload;
    if (this.failure.isSet) throw this.failure.get()!;
    const byReference = this.host.core.sendFrame(first ? type : Opcode.Continuation, bytes, fin, compressed && first);
    await this.afterAppend(byReference && !compressed, undefined);
  }

  /** @internal FragmentSink */
  releaseWriter(): void {
    this.turns.release();
  }

  /** After a control frame was queued in the core: flush soon, wait if the socket is backed up. */
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
    if (this.compression === null) {
      if (!Number.isInteger(level) || level < -1 || level > 9) throw new RangeError('compression level must be an integer from -1 to 9');
      return;
    }
    this.compression.compressor.setLevel(level);
    this.compression.prepared = { ...this.compression.prepared, level };
  }

  private compressionFor(size: number): WriteCompression | null {
    const c = this.compression;
    return c !== null && this.compressEnabled && size >= c.threshold ? c : null;
  }

  /** Appends a whole message; returns what the caller waits for. Throws when it cannot be sent. */
  private append(type: DataMessageType, payload: Buffer, compressed: boolean, owned: boolean, options: WriteOptions | undefined): Promise<void> {
    if (this.failure.isSet) throw this.failure.get()!;
    const byReference = this.host.core.sendMessage(type, payload, compressed);
    return this.afterAppend(byReference && !owned, options);
  }

  private appendOrReject(type: DataMessageType, payload: Buffer, options: WriteOptions | undefined): Promise<void> {
    try {
      return this.append(type, payload, false, false, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Waits for the turn, runs `append` (which may await compression), and passes the turn on. */
  private async withTurn(options: WriteOptions | undefined, append: () => Promise<{ after: Promise<void> }>): Promise<void> {
    await this.track(this.turns.acquire(options?.signal));
    let after: Promise<void>;
    try {
      if (this.failure.isSet) throw this.failure.get()!;
      ({ after } = await append());
    } catch (err) {
      // Compression cut short by the connection closing: report why the connection closed.
      throw this.failure.get() ?? err;
    } finally {
      this.turns.release();
    }
    return after;
  }

  /**
   * Resolves when every write queued so far (and an open writer) is done, or null when none is:
   * `close()` waits for this so that its close frame follows what was written before it.
   */
  whenIdle(): Promise<void> | null {
    if (this.turns.idle) return null;
    return this.turns.acquire().then(() => this.turns.release());
  }

  // ---------------------------------------------------------------- flushing and backpressure

  /** After frames were queued in the core: flush when due, and wait when the socket is backed up. */
  private afterAppend(byReference: boolean, options: WriteOptions | undefined): Promise<void> {
    const socket = this.host.socket;
    if (byReference) {
      // The socket holds the caller's buffer until it is written: wait for that.
      const written = this.track(new Promise<void>((resolve, reject) => this.writtenWaiters.push({ resolve, reject })));
      this.flush();
      return socket.writableNeedDrain ? written.then(() => this.whenDrained(options)) : written;
    }
    if (this.host.core.pendingOutputBytes >= this.writeBufferSize) this.flush();
    else scheduleFlush(this);
    if (socket.writableLength + this.host.core.pendingOutputBytes > this.highWaterMark) {
      this.flush();
      if (socket.writableNeedDrain) return this.whenDrained(options);
    }
    return RESOLVED;
  }

  private whenDrained(options: WriteOptions | undefined): Promise<void> {
    if (this.failure.isSet) return Promise.reject(this.failure.get());
    if (!this.host.socket.writableNeedDrain) return RESOLVED;
    const signal = options?.signal;
    return this.track(
      new Promise<void>((resolve, reject) => {
        const entry: Pending = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject: (err) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        };
        const onAbort = (): void => {
          const i = this.drainWaiters.indexOf(entry);
          if (i >= 0) this.drainWaiters.splice(i, 1);
          reject(signal!.reason);
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.drainWaiters.push(entry);
      }),
    );
  }

  /** The socket's `drain` event. */
  onDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  /** @internal Flushable: hands queued frames to the socket. */
  flush(): void {
    const chunks = this.host.core.takeOutput();
    if (chunks.length === 0) return;
    const socket = this.host.socket;
    if (socket.destroyed || socket.writableEnded) {
      this.rejectAll(this.writtenWaiters, this.failure.get() ?? new CloseError(CloseAbnormalClosure, 'connection closed'));
      this.writtenWaiters = [];
      return;
    }
    let callback: ((err?: Error | null) => void) | undefined;
    if (this.writtenWaiters.length > 0) {
      const waiters = this.writtenWaiters;
      this.writtenWaiters = [];
      callback = (err) => {
        if (err) this.rejectAll(waiters, err);
        else for (const w of waiters) w.resolve();
      };
    }
    if (chunks.length === 1) {
      socket.write(chunks[0]!, callback);
      return;
    }
    socket.cork();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) socket.write(chunks[i]!);
    socket.write(chunks[last]!, callback);
    socket.uncork();
  }

  /** Bytes written and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.host.core.pendingOutputBytes + this.host.socket.writableLength;
  }

  // ---------------------------------------------------------------- deadlines and failure

  /** Writes still waiting at `deadline` fail, and the connection with them. `null` clears it. */
  setDeadline(deadline: number | null): void {
    this.deadline = deadline;
    this.armTimer();
  }

  /** Counts a write that is waiting, so the write deadline can see it. */
  private track<T>(wait: Promise<T>): Promise<T> {
    this.waiting++;
    this.armTimer();
    const settle = (): void => {
      this.waiting--;
      this.armTimer();
    };
    wait.then(settle, settle);
    return wait;
  }

  private armTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.deadline === null || this.waiting === 0 || this.failure.isSet) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.deadline === null || this.waiting === 0) return;
      if (Date.now() < this.deadline) return this.armTimer();
      const err = new DeadlineExceededError('write');
      this.fail(err);
      this.host.onWriteDeadline(err);
    }, Math.max(0, this.deadline - Date.now()));
  }

  /** From now on, new writes fail with `err`; writes already queued still go out. */
  refuse(err: Error | (() => Error)): void {
    this.refusal.set(err);
  }

  /** New writes and writes waiting for their turn fail with `err`; bytes already queued still go. */
  stopQueued(err: Error | (() => Error)): void {
    this.refuse(err);
    if (this.turns.hasWaiters) this.turns.failAll(this.refusal.get());
  }

  /** Every write fails with `err`, queued ones included: nothing more can be sent. */
  fail(err: Error | (() => Error)): void {
    if (this.failure.isSet) return;
    this.failure.set(err);
    this.refuse(err);
    const waiting = this.turns.hasWaiters || this.drainWaiters.length > 0 || this.writtenWaiters.length > 0;
    if (waiting) {
      const error = this.failure.get();
      this.turns.failAll(error);
      this.rejectAll(this.drainWaiters, error);
      this.rejectAll(this.writtenWaiters, error);
    }
    this.drainWaiters = [];
    this.writtenWaiters = [];
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** The socket is gone: fail what waits, free zlib. */
  finish(err: Error | (() => Error)): void {
    this.fail(err);
    this.compression?.compressor.close();
  }

  private rejectAll(waiters: Pending[], err: unknown): void {
    for (const w of waiters) w.reject(err);
  }
}
