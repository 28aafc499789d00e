/**
 * Decoding frames per RFC 6455 §5.2 from bytes that arrive in pieces of any size. It decodes
 * whatever is well formed as a frame and leaves judging it (masking by role, reserved bits,
 * control-frame rules) to the test; it throws only where the bytes cannot be a frame at all.
 */
import type { WireFrame } from './frame.js';
import { xorMask } from './mask.js';

/** §5.2: "the most significant bit MUST be 0" of a 64-bit length. */
export class WireFormatError extends Error {}

export class WireDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds bytes; returns the frames they completed, in order. */
  push(chunk: Buffer): WireFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: WireFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === null) return frames;
      frames.push(frame);
    }
  }

  /** Bytes received that are not yet a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private next(): WireFrame | null {
    if (this.buffered < 2) return null;
    const head = this.peek(Math.min(this.buffered, 14));
    const second = head[1]!;
    const masked = (second & 0x80) !== 0;
    const length7 = second & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerLength = 2 + extended + (masked ? 4 : 0);
    if (head.length < headerLength) return null;
    let length: number;
    let minimalLength: boolean;
    if (length7 === 126) {
      length = head.readUInt16BE(2);
      minimalLength = length > 125;
    } else if (length7 === 127) {
      const big = head.readBigUInt64BE(2);
      if (big >> 63n !== 0n) throw new WireFormatError('64-bit payload length with its most significant bit set');
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireFormatError(`payload length ${big} is beyond what a test can hold`);
      length = Number(big);
      minimalLength = length > 0xffff;
    } else {
      length = length7;
      minimalLength = true;
    }
    if (this.buffered < headerLength + length) return null;
    const bytes = this.take(headerLength + length);
    const first = bytes[0]!;
    const maskKey = masked ? Buffer.from(bytes.subarray(headerLength - 4, headerLength)) : null;
    const raw = bytes.subarray(headerLength);
    return {
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      rsv2: (first & 0x20) !== 0,
      rsv3: (first & 0x10) !== 0,
      opcode: first & 0x0f,
      masked,
      maskKey,
      payload: maskKey !== null ? xorMask(raw, maskKey) : Buffer.from(raw),
      minimalLength,
    };
  }

  /** The first `n` buffered bytes, without consuming them (joins only the chunks it needs). */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const parts: Buffer[] = [];
    let have = 0;
    for (const c of this.chunks) {
      if (have >= n) break;
      parts.push(c);
      have += c.length;
    }
    const joined = Buffer.concat(parts);
    this.chunks.splice(0, parts.length, joined);
    return joined;
  }

  /** Consumes the first `n` buffered bytes (the caller knows they are there). */
  private take(n: number): Buffer {
    const all = this.peek(n);
    this.chunks[0] = all.subarray(n);
    if (this.chunks[0].length === 0) this.chunks.shift();
    this.buffered -= n;
    return all.subarray(0, n);
  }
}

/** Every whole frame in `bytes` (a frame cut short at the end is left out). */
export function decodeWireFrames(bytes: Buffer | Buffer[]): WireFrame[] {
  return new WireDecoder().push(Buffer.concat(Array.isArray(bytes) ? bytes : [bytes]));
}
