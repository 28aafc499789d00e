/**
 * A bump allocator for outgoing bytes, shared by all connections.
 *
 * Small frames are copied into a region of a large shared buffer (a slab) and written from there,
 * so a burst of messages becomes one socket write instead of one per message, and no connection
 * keeps a write buffer of its own while idle. Regions are never reused: once handed to a socket,
 * a region stays untouched, and the slab is reclaimed by the garbage collector when the last
 * region cut from it has been written. The newest region of a slab can grow in place while its
 * owner keeps appending and nobody else allocated after it; that is what makes coalescing cheap.
 * When many connections append in turn (a broadcast), each asks for room for as many bytes as its
 * last batch, so its frames stay contiguous although others allocate in between; the unused room
 * of the newest region goes back to the slab.
 */
import { Buffer } from 'node:buffer';
import { BufferView } from './buffer-view.js';

export class Slab {
  private readonly slabSize: number;
  private buffer: Buffer;
  /** `buffer.buffer`, kept: reading it is a call into the engine, and {@link view} needs it per batch. */
  private memory: ArrayBufferLike;
  private offset = 0;
  private newestOwner: object | null = null;
  /** The buffer holding the region the last {@link allocate} returned. */
  allocated: Buffer = Buffer.allocUnsafeSlow(0);
  /** Where the room of the region the last {@link allocate} returned ends. */
  allocatedEnd = 0;

  constructor(slabSize = 64 * 1024) {
    this.slabSize = slabSize;
    this.buffer = Buffer.allocUnsafeSlow(0);
    this.memory = this.buffer.buffer;
  }

  /**
   * Grows `owner`'s region, which ends at `end` in `buffer`, by `n` bytes, when that region is the
   * newest in the current slab and the slab has room. Returns false otherwise.
   */
  tryExtend(owner: object, buffer: Buffer, end: number, n: number): boolean {
    if (buffer !== this.buffer || this.newestOwner !== owner || this.offset !== end) return false;
    if (end + n > buffer.length) return false;
    this.offset = end + n;
    return true;
  }

  /**
   * Starts a new region of at least `n` bytes for `owner`, with room for up to `room` bytes when
   * the slab has it, and returns its offset in {@link allocated}; the room ends at
   * {@link allocatedEnd} (results without an object per call: this runs once per write batch).
   */
  allocate(owner: object, n: number, room = n): number {
    if (n > this.slabSize) {
      // Too big to share: a buffer of its own, which never becomes the current slab.
      this.newestOwner = null;
      this.allocated = Buffer.allocUnsafeSlow(n);
      this.allocatedEnd = n;
      return 0;
    }
    if (this.offset + n > this.buffer.length) {
      this.buffer = Buffer.allocUnsafeSlow(this.slabSize);
      this.memory = this.buffer.buffer;
      this.offset = 0;
    }
    const offset = this.offset;
    this.offset = Math.min(offset + Math.max(n, room), this.buffer.length);
    this.newestOwner = owner;
    this.allocated = this.buffer;
    this.allocatedEnd = this.offset;
    return offset;
  }

  /** A view of `buffer[start, end)`, a region this slab allocated (`allocUnsafeSlow` memory: offset 0). */
  view(buffer: Buffer, start: number, end: number): Buffer {
    return new BufferView(buffer === this.buffer ? this.memory : buffer.buffer, start, end - start);
  }

  /** `owner` used its region only up to `end` of the room ending at `roomEnd`: the rest returns, if still last. */
  release(owner: object, buffer: Buffer, end: number, roomEnd: number): void {
    if (buffer === this.buffer && this.newestOwner === owner && this.offset === roomEnd) this.offset = end;
  }
}

/** The process-wide slab used unless a connection is given its own. */
export const sharedSlab = new Slab();
