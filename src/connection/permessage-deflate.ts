/**
 * permessage-deflate compression and decompression (RFC 7692 §7.2) on zlib streams.
 *
 * zlib runs on Node's thread pool, so compressing a large message does not block the event loop.
 * With context takeover, a direction keeps one raw DEFLATE stream per connection (created on first
 * use, so an idle connection holds no zlib memory), and the stream's window carries over from one
 * message to the next. Without context takeover, a message borrows a stream from a shared pool and
 * returns it reset, so memory grows with the messages in flight, not with the connections.
 */
import { type DeflateRaw, type InflateRaw, constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { type PooledStream, SYNC_FLUSH_EACH_WRITE, deflatePool, inflatePool } from './zlib-pool.js';
import { Fifo } from './fifo.js';
import { DEFLATE_TRAILER as TRAILER, deflatedPayload, zlibWindowBits } from '../protocol/deflate-codec.js';

/** Compressed remainders up to this size are copied into one write with the trailer. */
const JOIN_LIMIT = 16 * 1024;

/** A stream of one connection's own (context takeover), shaped like a pooled one. */
function ownStream<S extends DeflateRaw | InflateRaw>(stream: S): PooledStream<S> {
  const entry: PooledStream<S> = { stream, onData: null, onError: null };
  stream.on('data', (chunk: Buffer) => entry.onData?.(chunk));
  stream.on('error', (err: Error) => entry.onError?.(err));
  return entry;
}

/** The connection closed while zlib was still working for it. */
export class CompressionClosedError extends Error {
  override name = 'CompressionClosedError';
  constructor() {
    super('websocket: connection closed during compression');
  }
}

export interface CompressorSettings {
  windowBits: number;
  noContextTakeover: boolean;
  /** zlib compression level, -1 (default, 6) to 9. */
  level: number;
  /** zlib memLevel, 1 to 9: memory for the compressor's hash tables, 2^(memLevel + 9) bytes. */
  memLevel: number;
}

/** The sending side: compresses one message (or one fragment of a streamed message) at a time. */
export class Compressor {
  private readonly settings: CompressorSettings;
  private entry: PooledStream<DeflateRaw> | null = null;
  private entryKey = '';
  private output: Buffer[] = [];
  private failure: Error | null = null;
  private level: number;
  private pendingLevel: number | null = null;
  /** Rejects the compression in flight when the connection closes under it. */
  private abortInFlight: ((err: Error) => void) | null = null;
  private closed = false;

  constructor(settings: CompressorSettings) {
    this.settings = settings;
    this.level = settings.level;
  }

  /** Changes the level for the messages that follow (gorilla's `SetCompressionLevel`). */
  setLevel(level: number): void {
    if (!Number.isInteger(level) || level < -1 || level > 9) throw new RangeError('compression level must be an integer from -1 to 9');
    if (level === this.level) return;
    this.level = level;
    // A pooled stream is chosen by level on the next message; an own stream changes in place.
    if (this.entry !== null && !this.settings.noContextTakeover) this.pendingLevel = level;
  }

  /**
   * Compresses `data`. With `last` (the end of a message) the trailing 00 00 ff ff is removed and,
   * without context takeover, the stream goes back to the pool. Calls must not overlap; the
   * connection's write turn guarantees that.
   */
  async compress(data: Buffer, last = true): Promise<Buffer> {
    if (this.closed) throw new CompressionClosedError();
    if (this.failure !== null) throw this.failure;
    const entry = this.borrow();
    const stream = entry.stream;
    if (this.pendingLevel !== null) {
      const level = this.pendingLevel;
      this.pendingLevel = null;
      await this.inFlight((done) => stream.params(level, constants.Z_DEFAULT_STRATEGY, done));
    }
    this.output = [];
    await this.inFlight((done) => {
      // The stream sync-flushes every write (SYNC_FLUSH_EACH_WRITE): one trip to zlib's thread.
      if (data.length > 0) stream.write(data, done);
      else stream.flush(constants.Z_SYNC_FLUSH, done);
    });
    let out = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
    this.output = [];
    if (last) {
      // §7.2.1: the trailer goes; an empty message is sent as 0x00 (deflate-codec.ts).
      out = deflatedPayload(out);
      if (this.settings.noContextTakeover) this.giveBack();
    }
    return out;
  }

  /** Frees zlib; a compression in flight fails with `CompressionClosedError`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abortInFlight?.(new CompressionClosedError());
    this.abortInFlight = null;
    // A stream still held (context takeover, or mid-message) may be mid-operation: close it rather
    // than hand it to another connection. Pooled streams go back only between messages.
    this.entry?.stream.close();
    this.entry = null;
  }

  private borrow(): PooledStream<DeflateRaw> {
    if (this.entry !== null) return this.entry;
    const windowBits = zlibWindowBits(this.settings.windowBits);
    const memLevel = this.settings.memLevel;
    let entry: PooledStream<DeflateRaw>;
    if (this.settings.noContextTakeover) {
      this.entryKey = `${windowBits}/${this.level}/${memLevel}`;
      entry = deflatePool.acquire(this.entryKey);
    } else {
      entry = ownStream(createDeflateRaw({ level: this.level, memLevel, windowBits, ...SYNC_FLUSH_EACH_WRITE }));
    }
    entry.onData = (chunk) => this.output.push(chunk);
    entry.onError = (err) => {
      this.failure = err;
      this.abortInFlight?.(err);
    };
    this.entry = entry;
    return entry;
  }

  private giveBack(): void {
    if (this.entry === null) return;
    deflatePool.release(this.entryKey, this.entry, this.failure === null);
    this.entry = null;
  }

  /** Runs one zlib operation; it fails if zlib errors or the connection closes meanwhile. */
  private inFlight(start: (done: (err?: Error | null) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.abortInFlight = reject;
      start((err) => {
        this.abortInFlight = null;
        // A failed write calls back before the stream's 'error' event: keep the error either way.
        if (err) this.failure ??= err;
        if (this.failure !== null) reject(this.failure);
        else resolve();
      });
    });
  }
}

/** Where a message's inflated bytes go. */
export interface InflateSink {
  /** The next piece of inflated payload. */
  push(piece: Buffer): void;
  /** The whole message is inflated. */
  done(): void;
  /** zlib rejected the data (§8: fail the connection). */
  fail(err: Error): void;
}

export interface InflateJob {
  sink: InflateSink;
  /** Compressed pieces not yet handed to zlib: an earlier message is still inflating, or inflation is held. */
  waiting: Buffer[];
  ended: boolean;
  /** The trailer is written and the flush is under way. */
  finishing: boolean;
  /** Compressed bytes received for the message. */
  bytes: number;
}

/**
 * The receiving side. Messages are inflated strictly one after another (with context takeover,
 * each depends on the ones before); pieces of later messages wait their turn. The read side can
 * hold inflation while the application has enough to read: a few compressed bytes can become a
 * thousand times as many, so compressed input waits as it is, not inflated.
 */
export class Decompressor {
  private readonly windowBits: number;
  private readonly noContextTakeover: boolean;
  private entry: PooledStream<InflateRaw> | null = null;
  /** Messages in arrival order; the first is the one zlib works on. */
  private readonly jobs = new Fifo<InflateJob>();
  private closed = false;
  /** Free zlib once the last queued message is inflated. */
  private closing = false;
  /** No new input goes to zlib (output of input already given still comes). */
  private held = false;
  private pumping = false;
  /** A pump is queued for the end of the current parse. */
  private pumpQueued = false;
  private readonly pumpLater = (): void => {
    this.pumpQueued = false;
    this.pump();
  };

  constructor(windowBits: number, noContextTakeover: boolean) {
    this.windowBits = zlibWindowBits(windowBits);
    this.noContextTakeover = noContextTakeover;
  }

  /** Starts a compressed message; returns the handle its pieces are written to. */
  begin(sink: InflateSink): InflateJob {
    const job: InflateJob = { sink, waiting: [], ended: false, finishing: false, bytes: 0 };
    this.jobs.push(job);
    return job;
  }

  /** The next compressed piece of `job`'s message. */
  write(job: InflateJob, piece: Buffer): void {
    if (this.closed || piece.length === 0) return;
    job.bytes += piece.length;
    job.waiting.push(piece);
    // Not written at once: when the message ends in the same parse (the usual case for small
    // messages), its pieces and the trailer go to zlib as one write, one trip to its thread.
    if (this.jobs.peek() === job && !this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(this.pumpLater);
    }
  }

  /** `job`'s message has arrived whole: append the trailer (§7.2.2) and flush, in its turn. */
  end(job: InflateJob): void {
    if (this.closed) return;
    job.ended = true;
    this.pump();
  }

  /** Holds (true) or resumes (false) inflation; compressed pieces arriving meanwhile wait. */
  hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held) this.pump();
  }

  /**
   * Finishes the messages that arrived whole, drops the rest, then frees zlib: the connection is
   * gone, but what it received is still delivered (as the application reads, when held).
   */
  closeWhenDone(): void {
    this.jobs.retain((job) => job.ended);
    if (this.jobs.length === 0) return this.close();
    this.closing = true;
    this.pump();
  }

  /** Frees zlib; pending messages are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.jobs.clear();
    // A stream still held is mid-message: close it rather than hand it to another connection.
    this.entry?.stream.close();
    this.entry = null;
  }

  /** Feeds zlib the first message's waiting pieces and, once it has ended, its trailer. */
  private pump(): void {
    if (this.pumping) return; // re-entered from a sink: the loop below carries on
    this.pumping = true;
    try {
      for (;;) {
        const job = this.jobs.peek();
        if (job === undefined) {
          if (this.closing) this.close();
          return;
        }
        if (this.closed || this.held || job.finishing) return;
        if (!job.ended) {
          if (job.waiting.length > 0) {
            const stream = this.borrow().stream;
            for (const piece of job.waiting) stream.write(piece);
            job.waiting = [];
          }
          return;
        }
        job.finishing = true;
        if (job.bytes > 0) return this.finish(job); // the last write's callback pumps again
        // An empty payload with RSV1 set is an empty message (senders should send 0x00, §7.2.3.6,
        // but this must be accepted); appending the trailer to nothing would not be valid DEFLATE.
        this.jobs.shift();
        job.sink.done();
      }
    } finally {
      this.pumping = false;
    }
  }

  private finish(job: InflateJob): void {
    const entry = this.borrow();
    const pieces = job.waiting;
    job.waiting = [];
    let size = 0;
    for (const piece of pieces) size += piece.length;
    if (size > JOIN_LIMIT) {
      for (const piece of pieces) entry.stream.write(piece);
      pieces.length = 0;
    }
    pieces.push(TRAILER);
    const last = pieces.length === 1 ? TRAILER : Buffer.concat(pieces, size + TRAILER.length);
    // Written with a sync flush (SYNC_FLUSH_EACH_WRITE): the callback comes once the whole
    // message is out, without a separate flush and another trip to zlib's thread.
    entry.stream.write(last, (err) => {
      // On an error the stream's 'error' event fails the message (onError): never deliver it.
      if (err || this.closed || this.jobs.peek() !== job) return;
      this.jobs.shift();
      // A sender may end a message with a final block (BFINAL, RFC 7692 §7.2.3.4): zlib's stream
      // is then over and cannot take more input. The next message starts on a fresh one.
      const over = entry.stream.readableEnded;
      if (this.noContextTakeover || over) {
        if (this.noContextTakeover) inflatePool.release(String(this.windowBits), entry, !over);
        else entry.stream.close();
        this.entry = null;
      }
      job.sink.done();
      this.pump();
    });
  }

  private borrow(): PooledStream<InflateRaw> {
    if (this.entry !== null) return this.entry;
    const entry = this.noContextTakeover
      ? inflatePool.acquire(String(this.windowBits))
      : ownStream(createInflateRaw({ windowBits: this.windowBits, ...SYNC_FLUSH_EACH_WRITE }));
    entry.onData = (piece) => {
      if (!this.closed) this.jobs.peek()?.sink.push(piece);
    };
    entry.onError = (err) => {
      const job = this.jobs.peek();
      this.closeAfterError();
      job?.sink.fail(err);
    };
    this.entry = entry;
    return entry;
  }

  /** zlib rejected the data: the stream is spoiled, never reused. */
  private closeAfterError(): void {
    this.closed = true;
    this.jobs.clear();
    this.entry?.stream.close();
    this.entry = null;
  }
}
