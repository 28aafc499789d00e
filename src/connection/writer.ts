/**
 * The sending half of a connection: messages become frames in the core's outbox (compressed
 * first when permessage-deflate is on). Flushing them to the transport, waiting at its high-water
 * mark and the write deadline are the base's (`writer-output.ts`).
 *
 * Most writes append their frame synchronously and resolve at once. Writes that need time before
 * their bytes exist (compression, a message written in pieces) hold the turn, and later writes
 * queue behind them, so messages stay whole and in call order.
 */
import type { Duplex } from 'node:stream';
import type { DeadlineExceededError } from '../errors.js';
import { CloseSentError } from '../protocol/errors.js';
import { Opcode } from '../protocol/frame.js';
import type { FrameSender } from '../protocol/frame-sender.js';
import { isValidUtf8 } from '../protocol/utf8.js';
import { type DataMessageType, type MessageData, TextMessage, isDataMessageType, toBuffer } from './message.js';
import { type FragmentSink, MessageWriter } from './message-writer.js';
import type { Compressor } from './permessage-deflate.js';
import type { PreparedCompression, PreparedMessage } from './prepared-message.js';
import { TurnQueue } from './turn-queue.js';
import { WriterOutput } from './writer-output.js';

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
  readonly highWaterMark: number;
  readonly compression: WriteCompression | null;
  /** What a new write fails with once the connection no longer takes messages (the lifecycle says why). */
  writeError(): Error | null;
  /** Writes waited past the write deadline: the connection must go. */
  onWriteDeadline(err: DeadlineExceededError): void;
  /** The transport threw on a write: the connection must go. */
  onWriteFailure(err: Error): void;
}

/** Messages in: whole, prepared or in pieces, compressed when due, appended in call order. */
export class Writer extends WriterOutput implements FragmentSink {
  private compressEnabled = true;
  /** The open writer's message is compressed. */
  private writerCompressed = false;
  /** Made when a write first takes a turn (a compression, a streamed message): most connections never do. */
  private turnQueue: TurnQueue | null = null;

  /** Nobody holds the turn and nobody waits: a write may go straight through. */
  private get turnsIdle(): boolean {
    return this.turnQueue === null || this.turnQueue.idle;
  }

  private get turns(): TurnQueue {
    return (this.turnQueue ??= new TurnQueue());
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
    if (compression !== null) return this.compressAndAppend(type, payload, compression.compressor, options);
    if (this.turnsIdle) return this.appendOrReject(type, payload, options);
    return this.withTurn(options, () => Promise.resolve({ after: this.append(type, payload, false, false, options) }));
  }

  writePrepared(message: PreparedMessage, options?: WriteOptions): Promise<void> {
    const refused = this.parts.writeError();
    if (refused !== null) return Promise.reject(refused);
    const compression = this.compressionFor(message.data.length);
    if (compression !== null && !compression.prepared.shareable) {
      // With context takeover, each connection's compressor state differs: compress here.
      return this.compressAndAppend(message.type, message.data, compression.compressor, options);
    }
    if (compression === null) {
      // Uncompressed: the frame (or, for a client, the payload to mask) exists already, so the
      // common broadcast case appends at once, like writeMessage, without waiting for a turn.
      const append = (): Promise<void> => {
        this.checkAlive();
        this.pushPrepared(message);
        return this.afterAppend(false, options);
      };
      if (!this.turnsIdle) return this.withTurn(options, () => Promise.resolve({ after: append() }));
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

  /**
   * Queues a prepared message at once, with no promise, when nothing stands in the way; false,
   * queueing nothing, when the connection is closing, a write holds or awaits the turn, or the
   * message must be compressed with this connection's own context.
   */
  queuePrepared(message: PreparedMessage): boolean {
    if (this.failed || !this.turnsIdle || this.parts.writeError() !== null) return false;
    if (this.compressionFor(message.data.length) !== null) return false;
    try {
      this.pushPrepared(message);
    } catch {
      return false;
    }
    this.flushWhenDue();
    return true;
  }

  /** Queues a prepared message uncompressed: a server's frame is encoded once for all, a client masks a copy. */
  private pushPrepared(message: PreparedMessage): void {
    if (this.parts.isServer) this.parts.sender.encoded(message.serverFrame());
    else this.parts.sender.message(message.type, message.data, false); // masked: never by reference
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
    if (this.turnsIdle) return null;
    return this.turns.acquire().then(() => this.turns.release());
  }

  // ---------------------------------------------------------------- appending

  private compressionFor(size: number): WriteCompression | null {
    const c = this.parts.compression;
    return c !== null && this.compressEnabled && size >= c.threshold ? c : null;
  }

  /**
   * Compresses a whole message with this connection's context and appends it: at once when it is
   * small and no write holds the turn (zlib on this thread), otherwise in turn.
   */
  private compressAndAppend(type: DataMessageType, payload: Buffer, compressor: Compressor, options: WriteOptions | undefined): Promise<void> {
    if (this.turnsIdle && !this.failed) {
      try {
        const now = compressor.compressNow(payload);
        if (now !== null) return this.append(type, now, true, true, options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.withTurn(options, async () => ({ after: this.append(type, await compressor.compress(payload), true, true, options) }));
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

  /** Writes waiting for their turn fail, saying why (our close frame is out); bytes already queued still go. */
  stopQueued(): void {
    if (this.turnQueue?.hasWaiters) this.turnQueue.failAll(this.parts.writeError() ?? new CloseSentError());
  }

  /** Every write fails with `err`, those waiting for their turn included: the transport can take nothing more. */
  override failAll(err: Error | (() => Error)): void {
    if (this.failed) return;
    super.failAll(err);
    if (this.turnQueue?.hasWaiters) this.turnQueue.failAll(this.dead!);
  }
}
