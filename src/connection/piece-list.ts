/**
 * The payload pieces of a message that came in more than one piece (fragments, or frames split
 * across reads), in arrival order. Pieces are kept as the views the parser produced (no copy),
 * except when a message arrives in a swarm of tiny fragments: after the first few pieces, small
 * ones are packed into shared chunks, so a million 1-byte fragments cost about a megabyte, not a
 * million buffer objects.
 */
import { Buffer } from 'node:buffer';

/** Pieces smaller than this are packed together once a message has {@link DIRECT_PIECES} pieces. */
const SMALL_PIECE = 512;
const DIRECT_PIECES = 8;
const PACK_SIZE = 4096;
const EMPTY = Buffer.alloc(0);

export class PieceList {
  private pieces: Buffer[] = [];
  private next = 0;
  private pack: Buffer | null = null;
  private packStart = 0;
  private packEnd = 0;

  constructor(first: Buffer | null) {
    if (first !== null) this.pieces.push(first);
  }

  /** Adds a piece; returns true when it is kept by reference (it pins its read chunk), false when copied. */
  push(piece: Buffer): boolean {
    const pieces = this.pieces;
    if (piece.length >= SMALL_PIECE || pieces.length - this.next < DIRECT_PIECES) {
      this.sealPack();
      pieces.push(piece);
      return true;
    }
    if (this.pack === null || this.packEnd + piece.length > this.pack.length) {
      this.sealPack();
      this.pack = Buffer.allocUnsafe(PACK_SIZE);
      this.packStart = this.packEnd = 0;
    }
    piece.copy(this.pack, this.packEnd);
    this.packEnd += piece.length;
    return false;
  }

  /** The next piece, or null when none is held right now. */
  shift(): Buffer | null {
    if (this.next === this.pieces.length) this.sealPack();
    if (this.next === this.pieces.length) return null;
    const piece = this.pieces[this.next]!;
    this.pieces[this.next++] = EMPTY; // let it go as soon as it is read
    if (this.next === this.pieces.length) {
      this.pieces = [];
      this.next = 0;
    }
    return piece;
  }

  /** Everything held, joined (`size` bytes); the list is empty afterwards. */
  takeAll(size: number): Buffer {
    this.sealPack();
    const pieces = this.next === 0 ? this.pieces : this.pieces.slice(this.next);
    this.pieces = [];
    this.next = 0;
    return pieces.length === 1 ? pieces[0]! : pieces.length === 0 ? EMPTY : Buffer.concat(pieces, size);
  }

  private sealPack(): void {
    if (this.pack === null || this.packEnd === this.packStart) return;
    this.pieces.push(this.pack.subarray(this.packStart, this.packEnd));
    this.packStart = this.packEnd;
  }
}
