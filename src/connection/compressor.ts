/**
 * The sending side of permessage-deflate (RFC 7692 §7.2.1): one message, or one fragment of a
 * streamed message, at a time. Small ones are deflated on this thread (zlib-inline.ts), larger
 * ones on zlib's thread pool; both on the same stream, so the context carries over either way.
 */
import { Buffer } from 'node:buffer';
import { type DeflateRaw, constants, createDeflateRaw } from 'node:zlib';
import { type PooledStream, SYNC_FLUSH_EACH_WRITE, deflatePool, routedStream } from './zlib-pool.js';
import { canRunInline, runInline } from './zlib-inline.js';
import { deflatedPayload, zlibWindowBits } from '../protocol/deflate-codec.js';

/**
 * Messages up to this size are deflated on this thread; larger ones on the pool, so that one big
 * message never holds up every other connection. A pool trip costs ~25 µs of hand-offs whatever
 * the size; deflating here blocks the event loop for the work itself. Measured on the bench
 * machine with JSON: level 1 (the default) deflates 64 KiB in 150–550 µs, about what parsing that
 * JSON costs the application anyway; the other levels take 40–130 µs for 16 KiB but 1–10 ms for
 * 64 KiB (lazy matching on long hash chains).
 */
function inlineDeflateLimit(level: number): number {
  return level <= 1 ? 64 * 1024 : 16 * 1024;
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

/** The key of the pool of streams shared by directions without context takeover. */
function poolKey(windowBits: number, level: number, memLevel: number): string {
  return `${zlibWindowBits(windowBits)}/${level}/${memLevel}`;
}

/**
 * Deflates a whole message at once on a pooled stream, on this thread, when it is small enough;
 * null otherwise. For output shared by directions without context takeover (`PreparedMessage`).
 */
export function deflateMessageNow(data: Buffer, windowBits: number, level: number, memLevel: number): Buffer | null {
  if (data.length > inlineDeflateLimit(level)) return null;
  const key = poolKey(windowBits, level, memLevel);
  const entry = deflatePool.acquire(key);
  if (!canRunInline(entry.stream)) {
    deflatePool.release(key, entry, true);
    return null;
  }
  const pieces: Buffer[] = [];
  const run = runInline(entry.stream, data, (piece) => pieces.push(piece) > 0);
  deflatePool.release(key, entry, run.error === null);
  if (run.error !== null) return null; // the caller's zlib call on the pool reports it
  return deflatedPayload(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
}

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
   * Compresses `data` on this thread when it is small and zlib is idle, and returns the payload;
   * returns null when it must go to the pool (`compress`). Throws once closed or failed.
   */
  compressNow(data: Buffer, last = true): Buffer | null {
    if (this.closed) throw new CompressionClosedError();
    if (this.failure !== null) throw this.failure;
    if (data.length > inlineDeflateLimit(this.level) || this.pendingLevel !== null) return null;
    const stream = this.borrow().stream;
    if (!canRunInline(stream)) return null;
    const run = runInline(stream, data, (piece) => this.output.push(piece) > 0);
    if (run.error !== null) {
      this.failure = run.error;
      this.output = [];
      throw run.error;
    }
    return this.take(last);
  }

  /**
   * Compresses `data`. With `last` (the end of a message) the trailing 00 00 ff ff is removed and,
   * without context takeover, the stream goes back to the pool. Calls must not overlap; the
   * connection's write turn guarantees that.
   */
  async compress(data: Buffer, last = true): Promise<Buffer> {
    const now = this.compressNow(data, last);
    if (now !== null) return now;
    const stream = this.borrow().stream;
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
    return this.take(last);
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

  /** The output gathered for this message or fragment. */
  private take(last: boolean): Buffer {
    let out = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
    this.output = [];
    if (last) {
      // §7.2.1: the trailer goes; an empty message is sent as 0x00 (deflate-codec.ts).
      out = deflatedPayload(out);
      if (this.settings.noContextTakeover) this.giveBack();
    }
    return out;
  }

  private borrow(): PooledStream<DeflateRaw> {
    if (this.entry !== null) return this.entry;
    const { windowBits, memLevel } = this.settings;
    let entry: PooledStream<DeflateRaw>;
    if (this.settings.noContextTakeover) {
      this.entryKey = poolKey(windowBits, this.level, memLevel);
      entry = deflatePool.acquire(this.entryKey);
    } else {
      entry = routedStream(createDeflateRaw({ level: this.level, memLevel, windowBits: zlibWindowBits(windowBits), ...SYNC_FLUSH_EACH_WRITE }));
    }
    entry.onData = (chunk) => this.output.push(chunk);
    entry.onError = (err) => {
      this.failure ??= err;
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
