/**
 * A bump allocator for outgoing bytes, shared by all connections.
 *
 * Small frames are copied into a region of a large shared buffer (a slab) and written from there,
 * so a burst of messages becomes one socket write instead of one per message, and no connection
 * keeps a write buffer of its own while idle. Regions are never reused: once handed to a socket,
 * a region stays untouched, and the slab is reclaimed by the garbage collector when the last
 * region cut from it has been written. The newest region of a slab can grow in place while its
 * owner keeps appending and nobody else allocated after it; that is what makes coalescing cheap.
 */
export class Slab {
  private readonly slabSize: number;
  private buffer: Buffer;
  private offset = 0;
  private newestOwner: object | null = null;
  /** The buffer holding the region the last {@link allocate} returned. */
  allocated: Buffer = Buffer.allocUnsafeSlow(0);

  constructor(slabSize = 64 * 1024) {
    this.slabSize = slabSize;
    this.buffer = Buffer.allocUnsafeSlow(0);
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
   * Starts a new region of `n` bytes for `owner` and returns its offset in {@link allocated}
   * (two results without an object per call: this runs once per write batch).
   */
  allocate(owner: object, n: number): number {
    if (n > this.slabSize) {
      // Too big to share: a buffer of its own, which never becomes the current slab.
      this.newestOwner = null;
      this.allocated = Buffer.allocUnsafeSlow(n);
      return 0;
    }
    if (this.offset + n > this.buffer.length) {
      this.buffer = Buffer.allocUnsafeSlow(this.slabSize);
      this.offset = 0;
    }
    const offset = this.offset;
    this.offset += n;
    this.newestOwner = owner;
    this.allocated = this.buffer;
    return offset;
  }
}

/** The process-wide slab used unless a connection is given its own. */
export const sharedSlab = new Slab();
