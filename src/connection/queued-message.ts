/**
 * A message in the inbox: its payload pieces in arrival order, readable whole once complete or
 * piece by piece while it is still arriving. A message that came in one piece (most do) holds it
 * in a field; more pieces go to a {@link PieceList}.
 */
import type { DataMessageType } from './message.js';
import { PieceList } from './piece-list.js';

const EMPTY = Buffer.alloc(0);

export class QueuedMessage {
  readonly type: DataMessageType;
  /** Arrival order on the connection. */
  readonly seq: number;
  /** Payload bytes held and not yet handed to the application. */
  bufferedBytes = 0;
  /** Memory counted against the read buffer besides the payload: the entry itself, and a read chunk it pins. */
  charge = 0;
  /** The last frame has arrived (a compressed message may still be inflating). */
  ended = false;
  /** The last piece has arrived (and, for compressed messages, been inflated). */
  complete = false;
  /** A later read moved on, or the message will never be delivered: further pieces are dropped. */
  abandoned = false;
  /** Compressed bytes received and not yet inflated (counted as buffered meanwhile). */
  compressedBytes = 0;
  private first: Buffer | null = null;
  private rest: PieceList | null = null;

  constructor(type: DataMessageType, seq: number) {
    this.type = type;
    this.seq = seq;
  }

  /** Adds a piece; returns true when it is kept by reference (pinning its read chunk), false when copied or dropped. */
  push(piece: Buffer): boolean {
    if (this.abandoned || piece.length === 0) return false;
    this.bufferedBytes += piece.length;
    if (this.rest !== null) return this.rest.push(piece);
    if (this.first === null) {
      this.first = piece;
      return true;
    }
    this.rest = new PieceList(this.first);
    this.first = null;
    return this.rest.push(piece);
  }

  /** The next held piece, in order, or null when none is held right now. */
  shift(): Buffer | null {
    const piece = this.first ?? this.rest?.shift() ?? null;
    if (piece === null) return null;
    if (piece === this.first) this.first = null;
    this.bufferedBytes -= piece.length;
    return piece;
  }

  /** Everything held, as one buffer (no copy when it is a single piece). */
  takeAll(): Buffer {
    const whole = this.rest !== null ? this.rest.takeAll(this.bufferedBytes) : (this.first ?? EMPTY);
    this.first = null;
    this.rest = null;
    this.bufferedBytes = 0;
    return whole;
  }

  /** Drops what is held and everything still to come. Returns the payload bytes released. */
  abandon(): number {
    const released = this.bufferedBytes;
    this.abandoned = true;
    this.first = null;
    this.rest = null;
    this.bufferedBytes = 0;
    return released;
  }
}
