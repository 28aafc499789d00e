/**
 * The outgoing byte queue of one connection: frames in, socket-ready buffers out.
 *
 * Frames up to `coalesceLimit` bytes are encoded (header, payload, masking) straight into one
 * contiguous region of a shared {@link Slab}, so many small messages leave in one write. The
 * caller's payload is copied at once, so the caller may reuse its buffer as soon as the call
 * returns. Larger unmasked payloads are queued by reference, without a copy; the caller must then
 * leave them untouched until they have been written (the socket layer waits for that). Frames
 * encoded beforehand (prepared messages, which never change) are queued by reference and joined
 * with their neighbours when the batch is taken.
 */
import { Buffer } from 'node:buffer';
import { headerLength, writeFrameHeader } from './frame.js';
import { copyMasked } from './mask.js';
import { Slab, sharedSlab } from './slab.js';

/**
 * One connection's queue of encoded frames, ready for the socket; small frames are coalesced into
 * shared slabs.
 */
export class Outbox {
  private readonly coalesceLimit: number;
  private readonly slab: Slab;
  /** Made at the first frame after a take: an idle connection keeps no array. */
  private ready: Buffer[] | null = null;
  private readyBytes = 0;
  /** The open region: `region[regionStart, regionEnd)` holds encoded frames not yet taken. */
  private region: Buffer | null = null;
  private regionStart = 0;
  private regionEnd = 0;
  /** Where the room reserved for the open region ends (`regionEnd` may grow up to it). */
  private regionRoom = 0;
  /** Bytes of the last batch taken: the room asked for the next one. */
  private lastBatch = 0;

  constructor(coalesceLimit: number, slab: Slab = sharedSlab) {
    this.coalesceLimit = coalesceLimit;
    this.slab = slab;
  }

  /** Bytes queued and not yet taken. */
  get pendingBytes(): number {
    return this.readyBytes + (this.regionEnd - this.regionStart);
  }

  /**
   * Queues one frame. `first` is the first header byte (FIN, RSV, opcode); `maskKey` is null for
   * an unmasked frame. Returns true when the payload was queued by reference rather than copied.
   */
  pushFrame(first: number, payload: Uint8Array, maskKey: number | null): boolean {
    const length = payload.length;
    const size = headerLength(length, maskKey !== null) + length;
    if (size > this.coalesceLimit) return this.pushLarge(first, payload, maskKey);
    const region = this.reserve(size);
    const at = writeFrameHeader(region, this.regionEnd - size, first, length, maskKey);
    if (maskKey === null) region.set(payload, at);
    else copyMasked(payload, region, at, maskKey);
    return false;
  }

  /**
   * Queues bytes that are already a complete encoded frame (a prepared message), by reference:
   * they never change. Small ones are copied when the batch is taken, joined with their
   * neighbours: a broadcast copies each connection's frames into memory the socket reads at once,
   * where copying them as they are queued wrote a thousand regions the flush reads back later out
   * of the caches; and a lone frame leaves with no copy at all.
   */
  pushEncoded(bytes: Buffer): void {
    this.sealRegion();
    this.pushReady(bytes);
  }

  /** Everything queued, in order, ready for the socket; the queue is empty afterwards. */
  take(): Buffer[] {
    this.sealRegion();
    const out = this.ready;
    if (out === null) return [];
    const bytes = this.readyBytes;
    this.ready = null;
    this.readyBytes = 0;
    this.lastBatch = bytes;
    // Prepared frames, and regions split because other connections allocated between this one's
    // frames: joined, since one buffer costs the socket far less than a write per piece.
    return out.length === 1 ? out : this.joinRuns(out);
  }

  /**
   * Joins neighbouring pieces into buffers of at most `coalesceLimit` bytes, greedily in order; a
   * piece that fits with none of its neighbours (a large payload queued by reference) stays as it is.
   */
  private joinRuns(pieces: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < pieces.length; i++) {
      const size = pieces[i]!.length;
      if (bytes > 0 && bytes + size > this.coalesceLimit) {
        this.pushRun(out, pieces, start, i, bytes);
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    this.pushRun(out, pieces, start, pieces.length, bytes);
    return out;
  }

  private pushRun(out: Buffer[], pieces: Buffer[], from: number, to: number, bytes: number): void {
    out.push(to - from === 1 ? pieces[from]! : this.join(pieces, from, to, bytes));
  }

  private join(pieces: Buffer[], from: number, to: number, bytes: number): Buffer {
    const offset = this.slab.allocate(this, bytes);
    const joined = this.slab.allocated;
    let at = offset;
    for (let i = from; i < to; i++) {
      const piece = pieces[i]!;
      piece.copy(joined, at);
      at += piece.length;
    }
    return this.slab.view(joined, offset, at);
  }

  private pushLarge(first: number, payload: Uint8Array, maskKey: number | null): boolean {
    this.sealRegion();
    const length = payload.length;
    const headerSize = headerLength(length, maskKey !== null);
    const header = Buffer.allocUnsafe(headerSize);
    writeFrameHeader(header, 0, first, length, maskKey);
    this.pushReady(header);
    if (maskKey === null) {
      this.pushReady(asBuffer(payload));
      return true;
    }
    // A masked payload has to be copied: the caller's bytes stay as they were.
    const masked = Buffer.allocUnsafe(length);
    copyMasked(payload, masked, 0, maskKey);
    this.pushReady(masked);
    return false;
  }

  /** Makes room for `n` more bytes at the end of the open region; returns the region's buffer. */
  private reserve(n: number): Buffer {
    const region = this.region;
    const end = this.regionEnd + n;
    if (region !== null && end - this.regionStart <= this.coalesceLimit) {
      if (end <= this.regionRoom) {
        this.regionEnd = end;
        return region;
      }
      if (this.slab.tryExtend(this, region, this.regionRoom, end - this.regionRoom)) {
        this.regionEnd = this.regionRoom = end;
        return region;
      }
    }
    this.sealRegion();
    const offset = this.slab.allocate(this, n, Math.min(this.lastBatch, this.coalesceLimit));
    const buffer = this.slab.allocated;
    this.region = buffer;
    this.regionStart = offset;
    this.regionEnd = offset + n;
    this.regionRoom = this.slab.allocatedEnd;
    return buffer;
  }

  private sealRegion(): void {
    const region = this.region;
    if (region === null) return;
    this.slab.release(this, region, this.regionEnd, this.regionRoom);
    if (this.regionEnd > this.regionStart) {
      this.pushReady(this.slab.view(region, this.regionStart, this.regionEnd));
    }
    this.region = null;
    this.regionStart = this.regionEnd = this.regionRoom = 0;
  }

  private pushReady(bytes: Buffer): void {
    // Most batches are one buffer: a literal of one, where `[]` and a push make room for 17.
    if (this.ready === null) this.ready = [bytes];
    else this.ready.push(bytes);
    this.readyBytes += bytes.length;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
