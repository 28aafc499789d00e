/**
 * The receiving side of permessage-deflate (RFC 7692 §7.2.2). Messages are inflated strictly one
 * after another (with context takeover, each depends on the ones before); pieces of later messages
 * wait their turn. A small message is inflated on this thread (zlib-inline.ts), whole when it
 * arrived in one read, else as far as it has come; a large one streams to zlib's thread pool. The read side can hold
 * inflation while the application has enough to read: a few compressed bytes can become a thousand
 * times as many, so compressed input waits as it is, not inflated.
 */
import { Buffer } from 'node:buffer';
import { type InflateRaw, createInflateRaw } from 'node:zlib';
import { type PooledStream, SYNC_FLUSH_EACH_WRITE, inflatePool, routedStream } from './zlib-pool.js';
import { canRunInline, runInline } from './zlib-inline.js';
import { Fifo } from './fifo.js';
import { DEFLATE_TRAILER as TRAILER, zlibWindowBits } from '../protocol/deflate-codec.js';

/**
 * A message is inflated on this thread when its compressed bytes are at most this many, and
 * until it has produced `INLINE_OUTPUT_LIMIT` bytes; the rest goes on to the pool. Inflating 128 KiB
 * of JSON takes about 150 µs on the bench machine, and the limit on output keeps a small "bomb"
 * (up to 1000:1) from holding this thread for longer.
 */
export const INLINE_INFLATE_LIMIT = 64 * 1024;
const INLINE_OUTPUT_LIMIT = 128 * 1024;

/** Compressed remainders up to this size are copied into one write with the trailer (one pool trip). */
const JOIN_LIMIT = 16 * 1024;

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
  /** Compressed pieces not yet handed to zlib: the message is small and not whole yet, an earlier one is inflating, or inflation is held. */
  waiting: Buffer[];
  ended: boolean;
  /** Part of the message went to the pool: the rest must follow it there, in order. */
  onPool: boolean;
  /** The trailer is written on the pool and its callback is awaited. */
  finishing: boolean;
  /** Compressed bytes received for the message. */
  bytes: number;
  /** Its DEFLATE stream ended (a final block) before the message did. */
  over: boolean;
}

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
  /** A pump is queued: callers never see inflation happen inside their own call. */
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
    const job: InflateJob = { sink, waiting: [], ended: false, onPool: false, finishing: false, bytes: 0, over: false };
    this.jobs.push(job);
    return job;
  }

  /** The next compressed piece of `job`'s message. */
  write(job: InflateJob, piece: Buffer): void {
    if (this.closed || piece.length === 0) return;
    job.bytes += piece.length;
    job.waiting.push(piece);
    // Not at once: pieces that end their message in the same parse (the usual case for small
    // messages) are inflated together, after the parse.
    if (this.jobs.peek() === job) this.schedulePump();
  }

  /** `job`'s message has arrived whole: append the trailer (§7.2.2) and inflate it, in its turn. */
  end(job: InflateJob): void {
    if (this.closed) return;
    job.ended = true;
    this.schedulePump();
  }

  /** Holds (true) or resumes (false) inflation; compressed pieces arriving meanwhile wait. */
  hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held) this.schedulePump();
  }

  /**
   * Finishes the messages that arrived whole, drops the rest, then frees zlib: the connection is
   * gone, but what it received is still delivered (as the application reads, when held).
   */
  closeWhenDone(): void {
    this.jobs.retain((job) => job.ended);
    if (this.jobs.length === 0) return this.close();
    this.closing = true;
    this.schedulePump();
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

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(this.pumpLater);
  }

  /** Inflates the messages at the front that can go now, in order. */
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
        if (job.over) {
          // Its DEFLATE stream ended before the message did: the rest is not inflated.
          job.waiting = [];
          if (!job.ended) return;
          this.finished(job, this.borrow(), true);
          continue;
        }
        const large = job.onPool || job.bytes > INLINE_INFLATE_LIMIT;
        if (!job.ended) {
          if (job.waiting.length === 0) return;
          // A large message streams to the pool as it comes. A small one not whole by now (its
          // pieces that came in one read are looked at together) is inflated as far as it has
          // come: a reader gets it, and bad data fails the connection now rather than whenever,
          // if ever, the message ends.
          const entry = large ? null : this.borrow();
          if (entry === null || !canRunInline(entry.stream)) this.toPool(job, job.waiting, false);
          else this.inflateHere(job, entry, false);
          return;
        }
        if (job.bytes === 0) {
          // An empty payload with RSV1 set is an empty message (senders should send 0x00,
          // §7.2.3.6, but this must be accepted): the trailer alone would not be valid DEFLATE.
          this.jobs.shift();
          job.sink.done();
          continue;
        }
        const entry = this.borrow();
        if (large || !canRunInline(entry.stream)) return this.toPool(job, [...job.waiting, TRAILER], true);
        if (!this.inflateHere(job, entry, true)) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Inflates a small message on this thread, as far as it has come (`whole`: all of it, with the
   * trailer). Returns true when it is done; false when it is not whole, the connection failed, or
   * it produced so much output that the rest went on to the pool.
   */
  private inflateHere(job: InflateJob, entry: PooledStream<InflateRaw>, whole: boolean): boolean {
    const input = job.waiting;
    job.waiting = [];
    if (whole) input.push(TRAILER);
    let budget = INLINE_OUTPUT_LIMIT;
    const emit = (piece: Buffer): boolean => {
      budget -= piece.length;
      job.sink.push(piece);
      return !this.closed && budget > 0;
    };
    for (let i = 0; i < input.length; i++) {
      const piece = input[i]!;
      const run = runInline(entry.stream, piece, emit);
      if (this.closed) return false; // the sink failed the message (read limit, UTF-8)
      if (run.error !== null) {
        this.failed(run.error);
        return false;
      }
      if (run.ended) {
        if (whole) return this.finished(job, entry, true);
        job.over = true;
        return false;
      }
      if (budget <= 0) {
        // What is left (maybe only output zlib still holds: an empty write brings it out).
        this.toPool(job, [piece.subarray(run.consumed), ...input.slice(i + 1)], whole);
        return false;
      }
    }
    return whole && this.finished(job, entry, false);
  }

  /** Writes `pieces` to the pool's thread; with `last`, the final one's callback completes the message. */
  private toPool(job: InflateJob, pieces: Buffer[], last: boolean): void {
    const entry = this.borrow();
    job.onPool = true;
    job.waiting = [];
    if (!last) {
      for (const piece of pieces) entry.stream.write(piece);
      return;
    }
    job.finishing = true;
    let size = 0;
    for (const piece of pieces) size += piece.length;
    // Small remainders go as one write: with a sync flush on every write, one trip to the pool.
    const final = size <= JOIN_LIMIT ? Buffer.concat(pieces, size) : pieces.pop()!;
    if (size > JOIN_LIMIT) for (const piece of pieces) entry.stream.write(piece);
    entry.stream.write(final, (err) => {
      // On an error the stream's 'error' event fails the message (onError): never deliver it.
      if (err || this.closed || this.jobs.peek() !== job) return;
      // A sender may end a message with a final block (BFINAL, RFC 7692 §7.2.3.4): zlib's stream
      // is then over and cannot take more input.
      this.finished(job, entry, entry.stream.readableEnded);
      this.pump();
    });
  }

  /** `job` is inflated whole. A stream that is over, or that no later message needs, is let go. */
  private finished(job: InflateJob, entry: PooledStream<InflateRaw>, over: boolean): true {
    this.jobs.shift();
    if (this.noContextTakeover || over) {
      // The next message starts on a fresh stream.
      if (this.noContextTakeover) inflatePool.release(String(this.windowBits), entry, !over);
      else entry.stream.close();
      this.entry = null;
    }
    job.sink.done();
    return true;
  }

  private borrow(): PooledStream<InflateRaw> {
    if (this.entry !== null) return this.entry;
    const entry = this.noContextTakeover
      ? inflatePool.acquire(String(this.windowBits))
      : routedStream(createInflateRaw({ windowBits: this.windowBits, ...SYNC_FLUSH_EACH_WRITE }));
    entry.onData = (piece) => {
      if (!this.closed) this.jobs.peek()?.sink.push(piece);
    };
    entry.onError = (err) => this.failed(err);
    this.entry = entry;
    return entry;
  }

  /** zlib rejected the data: the message fails, and the stream is spoiled, never reused. */
  private failed(err: Error): void {
    if (this.closed) return;
    const job = this.jobs.peek();
    this.closed = true;
    this.jobs.clear();
    this.entry?.stream.close();
    this.entry = null;
    job?.sink.fail(err);
  }
}
