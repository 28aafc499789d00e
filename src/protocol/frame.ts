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
import { CloseMessageTooBig, CloseProtocolError } from './close.js';
import { ProtocolError } from './errors.js';
import { applyMask } from './mask.js';

/** Frame opcodes (§5.2, §11.8). 0x3–0x7 and 0xB–0xF are reserved. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
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

export const FIN = 0x80;
export const RSV1 = 0x40;
export const RSV2 = 0x20;
export const RSV3 = 0x10;

/** A control frame payload is at most 125 bytes (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** The largest frame header: 2 bytes, a 64-bit length and a 4-byte mask key. */
export const MAX_HEADER_LENGTH = 14;

export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** The masking key, first wire byte most significant; 0 when not masked. */
  maskKey: number;
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

/**
 * Decodes the header at `bytes[offset, end)`; returns null when those bytes do not hold a whole
 * header yet. Rejects, before any payload is read:
 * - a 64-bit length with the most significant bit set (§5.2: "MUST be 0"), with 1002;
 * - a length above `Number.MAX_SAFE_INTEGER`, which no buffer could hold, with 1009;
 * - a length not in its shortest form (§5.2: "the minimal number of bytes MUST be used"), with 1002.
 * The other rules (opcodes, RSV bits, masking, control frame sizes) belong to the state machine.
 */
export function decodeFrameHeader(bytes: Uint8Array, offset: number, end: number): FrameHeader | null {
  if (end - offset < 2) return null;
  const b0 = bytes[offset]!;
  const b1 = bytes[offset + 1]!;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  let pos = offset + 2;
  let payloadLength: number;
  if (len7 < 126) {
    payloadLength = len7;
  } else if (len7 === 126) {
    if (end - pos < 2) return null;
    payloadLength = (bytes[pos]! << 8) | bytes[pos + 1]!;
    pos += 2;
    if (payloadLength < 126) throw new ProtocolError(CloseProtocolError, 'frame length not minimally encoded');
  } else {
    if (end - pos < 8) return null;
    const top = bytes[pos]!;
    if (top & 0x80) throw new ProtocolError(CloseProtocolError, 'frame length has the most significant bit set');
    const high = ((top << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
    const low = ((bytes[pos + 4]! << 24) | (bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!) >>> 0;
    pos += 8;
    // 2^53 - 1 has 21 bits in the high word.
    if (high > 0x1fffff) throw new ProtocolError(CloseMessageTooBig, 'frame length above 2^53 - 1');
    payloadLength = high * 0x100000000 + low;
    if (payloadLength < 0x10000) throw new ProtocolError(CloseProtocolError, 'frame length not minimally encoded');
  }
  let maskKey = 0;
  if (masked) {
    if (end - pos < 4) return null;
    maskKey = ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
    pos += 4;
  }
  return {
    fin: (b0 & FIN) !== 0,
    rsv1: (b0 & RSV1) !== 0,
    rsv2: (b0 & RSV2) !== 0,
    rsv3: (b0 & RSV3) !== 0,
    opcode: b0 & 0x0f,
    masked,
    maskKey,
    payloadLength,
    headerLength: pos - offset,
  };
}

/** Options for {@link encodeFrame}. */
export interface FrameInit {
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  opcode: number;
  /** Mask the payload with this key (client to server frames, §5.3). */
  maskKey?: number | null;
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
  out.set(payload, size);
  if (maskKey !== null) applyMask(out, maskKey, size);
  return out;
}
