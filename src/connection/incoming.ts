/**
 * A message being received: its payload pieces in arrival order, readable whole once complete or
 * piece by piece while it is still arriving.
 *
 * Pieces are kept as the views the parser produced (no copy) except when a message arrives in a
 * swarm of tiny fragments: after the first few pieces, small ones are packed into shared chunks,
 * so a million 1-byte fragments cost about a megabyte, not a million buffer objects.
 */
import type { DataMessageType } from './message.js';

/** Pieces smaller than this are packed together once a message has {@link DIRECT_PIECES} pieces. */
const SMALL_PIECE = 512;
const DIRECT_PIECES = 8;
const PACK_SIZE = 4096;

export class IncomingMessage {
  readonly type: DataMessageType;
  /** Arrival order on the connection. */
  readonly seq: number;
  /** Bytes received and not yet handed to the application. */
  bufferedBytes = 0;
  /** The last frame has arrived (a compressed message may still be inflating). */
  ended = false;
  /** The last piece has arrived (and, for compressed messages, been inflated). */
  complete = false;
  /** A later read moved on: further pieces are dropped as they arrive. */
  abandoned = false;
  /** Compressed bytes received and not yet inflated (counted as buffered meanwhile). */
  compressedBytes = 0;
  /** The only piece, while there is just one: most messages never need an array. */
  private first: Buffer | null = null;
  /** The pieces, once there are two or more (`first` then moves in here). */
  private pieces: Buffer[] | null = null;
  private next = 0;
  private pack: Buffer | null = null;
  private packStart = 0;
  private packEnd = 0;

  constructor(type: DataMessageType, seq: number) {
    this.type = type;
    this.seq = seq;
  }

  push(piece: Buffer): void {
    if (this.abandoned || piece.length === 0) return;
    this.bufferedBytes += piece.length;
    if (this.pieces === null && this.first === null) {
      this.first = piece;
      return;
    }
    const pieces = this.list();
    if (piece.length >= SMALL_PIECE || pieces.length - this.next < DIRECT_PIECES) {
      this.sealPack();
      pieces.push(piece);
      return;
    }
    if (this.pack === null || this.packEnd + piece.length > this.pack.length) {
      this.sealPack();
      this.pack = Buffer.allocUnsafe(PACK_SIZE);
      this.packStart = this.packEnd = 0;
    }
    piece.copy(this.pack, this.packEnd);
    this.packEnd += piece.length;
  }

  /** The next buffered piece, in order, or null when none is buffered right now. */
  shift(): Buffer | null {
    const first = this.first;
    if (first !== null) {
      this.first = null;
      this.bufferedBytes -= first.length;
      return first;
    }
    if (this.pieces === null || this.next === this.pieces.length) this.sealPack();
    const pieces = this.pieces;
    if (pieces === null || this.next === pieces.length) return null;
    const piece = pieces[this.next]!;
    pieces[this.next++] = EMPTY; // let it go as soon as it is read
    if (this.next === pieces.length) {
      this.pieces = null;
      this.next = 0;
    }
    this.bufferedBytes -= piece.length;
    return piece;
  }

  /** Everything buffered, as one buffer (no copy when it is a single piece). */
  takeAll(): Buffer {
    this.sealPack();
    let whole: Buffer;
    if (this.pieces === null) {
      whole = this.first ?? EMPTY;
    } else {
      const pieces = this.next === 0 ? this.pieces : this.pieces.slice(this.next);
      whole = pieces.length === 1 ? pieces[0]! : pieces.length === 0 ? EMPTY : Buffer.concat(pieces, this.bufferedBytes);
    }
    this.first = null;
    this.pieces = null;
    this.next = 0;
    this.bufferedBytes = 0;
    return whole;
  }

  /** Drops what is buffered and everything still to come. Returns the bytes released. */
  abandon(): number {
    const released = this.bufferedBytes;
    this.abandoned = true;
    this.first = null;
    this.pieces = null;
    this.next = 0;
    this.pack = null;
    this.bufferedBytes = 0;
    return released;
  }

  /** The list of pieces, made when a second piece arrives. */
  private list(): Buffer[] {
    if (this.pieces === null) {
      this.pieces = this.first === null ? [] : [this.first];
      this.first = null;
    }
    return this.pieces;
  }

  private sealPack(): void {
    if (this.pack === null || this.packEnd === this.packStart) return;
    this.list().push(this.pack.subarray(this.packStart, this.packEnd));
    this.packStart = this.packEnd;
  }
}

const EMPTY = Buffer.alloc(0);
