/**
 * The base framing protocol (RFC 6455 §5.2):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               | Masking-key, if MASK set to 1 |
 *   +-------------------------------+-------------------------------+
 *   | Masking-key (continued)       |          Payload Data         |
 *   +-------------------------------- - - - - - - - - - - - - - - - +
 */
import { Buffer } from 'node:buffer';
import { copyMasked } from './mask.js';

/** Frame opcodes (§5.2, §11.8). 0x3–0x7 and 0xB–0xF are reserved. */
export const Opcode = {
  /** 0x0: a later frame of a fragmented message. */
  Continuation: 0x0,
  /** 0x1: the first frame of a text message. */
  Text: 0x1,
  /** 0x2: the first frame of a binary message. */
  Binary: 0x2,
  /** 0x8: a close frame. */
  Close: 0x8,
  /** 0x9: a ping. */
  Ping: 0x9,
  /** 0xA: a pong. */
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Control frames have opcodes with the high bit set (§5.5). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Opcodes RFC 6455 defines; anything else is reserved and fails the connection (§5.2). */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}

/** The FIN bit of a frame's first byte: the last frame of a message. */
export const FIN = 0x80;
/** The RSV1 bit: with permessage-deflate, the message is compressed (RFC 7692 §6). */
export const RSV1 = 0x40;
/** The RSV2 bit: no extension here uses it; a frame with it set fails the connection (§5.2). */
export const RSV2 = 0x20;
/** The RSV3 bit: no extension here uses it; a frame with it set fails the connection (§5.2). */
export const RSV3 = 0x10;

/** A control frame payload is at most 125 bytes (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** The largest frame header: 2 bytes, a 64-bit length and a 4-byte mask key. */
export const MAX_HEADER_LENGTH = 14;

/** A decoded frame header (§5.2), as {@link decodeFrameHeader} and the {@link FrameParser} report it. */
export interface FrameHeader {
  /** The last frame of its message. */
  fin: boolean;
  /** RSV1: set on the first frame of a compressed message (RFC 7692). */
  rsv1: boolean;
  /** RSV2: reserved. */
  rsv2: boolean;
  /** RSV3: reserved. */
  rsv3: boolean;
  /** The opcode, 0x0 to 0xF; see {@link Opcode}. */
  opcode: number;
  /** The payload is masked (client to server frames, §5.3). */
  masked: boolean;
  /** The masking key, first wire byte most significant; 0 when not masked. */
  maskKey: number;
  /** The payload's length in bytes. */
  payloadLength: number;
  /** Bytes taken by the header itself, 2 to 14. */
  headerLength: number;
}

/** The first header byte: FIN, the RSV bits (RSV1/RSV2/RSV3 constants), the opcode. */
export function firstByte(fin: boolean, opcode: number, rsv = 0): number {
  return (fin ? FIN : 0) | rsv | opcode;
}

/** The size of a header for a payload of `payloadLength` bytes, using the minimal length encoding. */
export function headerLength(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header at `target[offset]` and returns the offset just past it.
 * The length always uses the shortest form (§5.2: "the minimal number of bytes MUST be used").
 * `maskKey` is null for an unmasked frame (server to client).
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  first: number,
  payloadLength: number,
  maskKey: number | null,
): number {
  const maskBit = maskKey === null ? 0 : 0x80;
  target[offset++] = first;
  if (payloadLength < 126) {
    target[offset++] = maskBit | payloadLength;
  } else if (payloadLength < 0x10000) {
    target[offset++] = maskBit | 126;
    target[offset++] = payloadLength >>> 8;
    target[offset++] = payloadLength & 0xff;
  } else {
    target[offset++] = maskBit | 127;
    const high = Math.floor(payloadLength / 0x100000000);
    const low = payloadLength >>> 0;
    target[offset++] = 0;
    target[offset++] = 0;
    target[offset++] = (high >>> 8) & 0xff;
    target[offset++] = high & 0xff;
    target[offset++] = low >>> 24;
    target[offset++] = (low >>> 16) & 0xff;
    target[offset++] = (low >>> 8) & 0xff;
    target[offset++] = low & 0xff;
  }
  if (maskKey !== null) {
    target[offset++] = maskKey >>> 24;
    target[offset++] = (maskKey >>> 16) & 0xff;
    target[offset++] = (maskKey >>> 8) & 0xff;
    target[offset++] = maskKey & 0xff;
  }
  return offset;
}

/** Options for {@link encodeFrame}. */
export interface FrameInit {
  /** The last frame of its message. Default true. */
  fin?: boolean;
  /** Set RSV1 (a compressed message's first frame). */
  rsv1?: boolean;
  /** Set RSV2 (only to test that a peer refuses it). */
  rsv2?: boolean;
  /** Set RSV3 (only to test that a peer refuses it). */
  rsv3?: boolean;
  /** The opcode; see {@link Opcode}. */
  opcode: number;
  /** Mask the payload with this key (client to server frames, §5.3). */
  maskKey?: number | null;
  /** The payload, unmasked. Default empty. */
  payload?: Uint8Array;
}

/**
 * Encodes one whole frame into a new buffer: the simple, allocating way, for tests, tools and
 * prepared messages. The connection's write path encodes straight into its output buffer.
 */
export function encodeFrame(init: FrameInit): Buffer {
  const payload = init.payload ?? new Uint8Array(0);
  const maskKey = init.maskKey ?? null;
  const rsv = (init.rsv1 ? RSV1 : 0) | (init.rsv2 ? RSV2 : 0) | (init.rsv3 ? RSV3 : 0);
  const size = headerLength(payload.length, maskKey !== null);
  const out = Buffer.allocUnsafe(size + payload.length);
  writeFrameHeader(out, 0, firstByte(init.fin ?? true, init.opcode, rsv), payload.length, maskKey);
  if (maskKey === null) out.set(payload, size);
  else copyMasked(payload, out, size, maskKey);
  return out;
}
