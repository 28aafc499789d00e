/**
 * permessage-deflate compression and decompression (RFC 7692 §7.2) on zlib streams.
 *
 * zlib runs on Node's thread pool, so compressing a large message does not block the event loop.
 * Each direction keeps one raw DEFLATE stream per connection, created on first use (an idle
 * connection holds no zlib memory). With context takeover the stream keeps its window between
 * messages; without, it is reset after each message.
 */
import { type DeflateRaw, type InflateRaw, constants, createDeflateRaw, createInflateRaw } from 'node:zlib';

/** §7.2.1: a message's compressed data, flushed with Z_SYNC_FLUSH, ends with these bytes, removed before sending. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY_BLOCK_START = Buffer.from([0x00]);

/** zlib cannot compress raw DEFLATE with a 256-byte window; like other implementations, use 512 (§7.1.2). */
function zlibWindowBits(bits: number): number {
  return Math.max(9, bits);
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
  private stream: DeflateRaw | null = null;
  private output: Buffer[] = [];
  private failure: Error | null = null;
  private level: number;
  private pendingLevel: number | null = null;

  constructor(settings: CompressorSettings) {
    this.settings = settings;
    this.level = settings.level;
  }

  /** Changes the level for the messages that follow (gorilla's `SetCompressionLevel`). */
  setLevel(level: number): void {
    if (!Number.isInteger(level) || level < -1 || level > 9) throw new RangeError('compression level must be an integer from -1 to 9');
    if (level === this.level) return;
    this.level = level;
    if (this.stream !== null) this.pendingLevel = level;
  }

  /**
   * Compresses `data`. With `last` (the end of a message) the trailing 00 00 ff ff is removed and,
   * without context takeover, the stream is reset. Calls must not overlap; the connection's write
   * turn guarantees that.
   */
  async compress(data: Buffer, last = true): Promise<Buffer> {
    if (this.failure !== null) throw this.failure;
    const stream = this.open();
    if (this.pendingLevel !== null) {
      const level = this.pendingLevel;
      this.pendingLevel = null;
      await new Promise<void>((resolve) => stream.params(level, constants.Z_DEFAULT_STRATEGY, () => resolve()));
    }
    this.output = [];
    await new Promise<void>((resolve, reject) => {
      if (data.length > 0) stream.write(data);
      stream.flush(constants.Z_SYNC_FLUSH, () => (this.failure === null ? resolve() : reject(this.failure)));
    });
    let out = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
    this.output = [];
    if (last) {
      // §7.2.1: remove the empty stored block that the sync flush appended.
      if (out.length >= 4 && out.subarray(out.length - 4).equals(TRAILER)) out = out.subarray(0, out.length - 4);
      // zlib emits nothing for a flush with no new input. An empty payload plus the receiver's
      // 00 00 ff ff would not be valid DEFLATE; a single 0x00 (the start of an empty stored block)
      // is, and is what §7.2.3.6 shows for an empty message.
      if (out.length === 0) out = EMPTY_BLOCK_START;
      if (this.settings.noContextTakeover) stream.reset();
    }
    return out;
  }

  /** Frees the zlib stream. */
  close(): void {
    this.stream?.close();
    this.stream = null;
  }

  private open(): DeflateRaw {
    if (this.stream !== null) return this.stream;
    const stream = createDeflateRaw({
      level: this.level,
      memLevel: this.settings.memLevel,
      windowBits: zlibWindowBits(this.settings.windowBits),
    });
    stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    stream.on('error', (err) => {
      this.failure = err;
    });
    this.stream = stream;
    return stream;
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
  /** Compressed pieces that arrived while an earlier message was still inflating. */
  waiting: Buffer[];
  ended: boolean;
  /** Compressed bytes received for the message. */
  bytes: number;
}

/**
 * The receiving side. Messages are inflated strictly one after another through one stream (with
 * context takeover, each depends on the ones before); pieces of later messages wait their turn.
 */
export class Decompressor {
  private readonly windowBits: number;
  private readonly noContextTakeover: boolean;
  private stream: InflateRaw | null = null;
  private readonly jobs: InflateJob[] = [];
  private closed = false;

  constructor(windowBits: number, noContextTakeover: boolean) {
    this.windowBits = windowBits;
    this.noContextTakeover = noContextTakeover;
  }

  /** Starts a compressed message; returns the handle its pieces are written to. */
  begin(sink: InflateSink): InflateJob {
    const job: InflateJob = { sink, waiting: [], ended: false, bytes: 0 };
    this.jobs.push(job);
    return job;
  }

  /** The next compressed piece of `job`'s message. */
  write(job: InflateJob, piece: Buffer): void {
    if (this.closed || piece.length === 0) return;
    job.bytes += piece.length;
    if (this.jobs[0] === job) this.open().write(piece);
    else job.waiting.push(piece);
  }

  /** `job`'s message has arrived whole: append the trailer (§7.2.2) and flush. */
  end(job: InflateJob): void {
    if (this.closed) return;
    job.ended = true;
    if (this.jobs[0] === job) this.finish(job);
  }

  /** Frees the zlib stream; pending messages are dropped. */
  close(): void {
    this.closed = true;
    this.jobs.length = 0;
    this.stream?.close();
    this.stream = null;
  }

  private finish(job: InflateJob): void {
    if (job.bytes === 0) {
      // An empty payload with RSV1 set is an empty message (RFC 7692 §7.2.3.6 senders avoid it, but
      // it must be accepted); appending the trailer to nothing would not be valid DEFLATE.
      this.jobs.shift();
      job.sink.done();
      this.startNext();
      return;
    }
    const stream = this.open();
    stream.write(TRAILER);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      if (this.closed || this.jobs[0] !== job) return;
      this.jobs.shift();
      if (this.noContextTakeover) stream.reset();
      job.sink.done();
      this.startNext();
    });
  }

  private startNext(): void {
    const next = this.jobs[0];
    if (next === undefined || this.closed) return;
    const stream = this.open();
    for (const piece of next.waiting) stream.write(piece);
    next.waiting = [];
    if (next.ended) this.finish(next);
  }

  private open(): InflateRaw {
    if (this.stream !== null) return this.stream;
    const stream = createInflateRaw({ windowBits: zlibWindowBits(this.windowBits) });
    stream.on('data', (piece: Buffer) => {
      if (!this.closed) this.jobs[0]?.sink.push(piece);
    });
    stream.on('error', (err) => {
      const job = this.jobs[0];
      this.close();
      job?.sink.fail(err);
    });
    this.stream = stream;
    return stream;
  }
}
