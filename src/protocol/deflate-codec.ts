/**
 * The rules of permessage-deflate's payloads (RFC 7692 §7.2), apart from zlib itself: what a
 * compressed message looks like on the wire, and the checks an inflated message must pass.
 * The connection's compressor, its decompressor and `PreparedMessage` all follow these.
 */
import { Buffer } from 'node:buffer';
import { CloseInvalidFramePayloadData, CloseMessageTooBig } from './close.js';
import { ProtocolError } from './errors.js';
import { Utf8Validator } from './utf8.js';

/** §7.2.1: a sync flush ends with this empty stored block; the sender removes it, the receiver appends it (§7.2.2). */
export const DEFLATE_TRAILER: Buffer = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** §7.2.3.6: an empty message compresses to a single 0x00 byte (the start of an empty stored block). */
const EMPTY_MESSAGE = Buffer.from([0x00]);

/**
 * The payload to send for a message's DEFLATE output ended by a sync flush (§7.2.1): the
 * trailer removed, and an empty result (zlib emits nothing for a flush with no input) sent as
 * 0x00, since nothing followed by the receiver's trailer would not be valid DEFLATE.
 */
export function deflatedPayload(flushed: Buffer): Buffer {
  let out = flushed;
  if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
    out = out.subarray(0, out.length - 4);
  }
  return out.length === 0 ? EMPTY_MESSAGE : out;
}

/**
 * zlib cannot make raw DEFLATE with a 256-byte window (8 bits, which §7.1.2 allows): like other
 * implementations, use 512. A peer's 8-bit stream inflates fine with a larger window.
 */
export function zlibWindowBits(bits: number): number {
  return Math.max(9, bits);
}

/**
 * The checks on a message as it inflates: the read limit applies to the inflated size as it is
 * produced, so a small frame never inflates past it (RFC 6455 §10.4), and text must be UTF-8
 * (§8.1), checked as it comes out.
 */
export class InflatedMessageCheck {
  private readonly maxSize: number;
  private readonly utf8: Utf8Validator | null;
  private size = 0;

  constructor(maxSize: number, isText: boolean) {
    this.maxSize = maxSize;
    this.utf8 = isText ? new Utf8Validator() : null;
  }

  /** Checks the next inflated piece; returns the error to fail the connection with, or null. */
  piece(piece: Buffer): ProtocolError | null {
    this.size += piece.length;
    if (this.size > this.maxSize) return new ProtocolError(CloseMessageTooBig, `message inflates past the read limit of ${this.maxSize} bytes`);
    if (this.utf8 !== null && !this.utf8.write(piece)) return new ProtocolError(CloseInvalidFramePayloadData, 'text message is not valid UTF-8');
    return null;
  }

  /** The message has inflated whole; returns the error to fail the connection with, or null. */
  end(): ProtocolError | null {
    if (this.utf8 !== null && !this.utf8.isComplete()) return new ProtocolError(CloseInvalidFramePayloadData, 'text message ends inside a UTF-8 sequence');
    return null;
  }
}

/** §7.2.2: the error for DEFLATE data zlib rejected. */
export function invalidDeflateError(reason: string): ProtocolError {
  return new ProtocolError(CloseInvalidFramePayloadData, `invalid compressed data: ${reason}`);
}
