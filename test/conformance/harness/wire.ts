/**
 * Frames on the wire, written from RFC 6455 §5.2 for the conformance peer alone. It shares no code
 * with `src/protocol/`: a suite that judges the library must not judge it with its own parser.
 * It can also write what the library must refuse (reserved bits and opcodes, oversized control
 * frames, any mask), and it reports what the testee sends that breaks a rule.
 */

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** A frame to send. `rsv` is the three reserved bits as a number, as Autobahn writes it: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  rsv?: number;
  /** Override the peer's role: a client masks (§5.3), a server does not. */
  masked?: boolean;
  /** Mask with this key (implies `masked`) instead of a fresh one. */
  maskKey?: Uint8Array;
}

export interface WireFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  /** The masking key of a masked frame. */
  maskKey: Buffer | null;
  payload: Buffer;
  /** A rule of §5.2 the encoding itself broke (the frame is still decoded). */
  encodingError: string | null;
}

export const text = (payload: Uint8Array | string, fin = true): FrameSpec => ({ opcode: OP.text, payload, fin });
export const binary = (payload: Uint8Array | string, fin = true): FrameSpec => ({ opcode: OP.binary, payload, fin });
export const continuation = (payload: Uint8Array | string, fin = true): FrameSpec => ({ opcode: OP.continuation, payload, fin });
export const ping = (payload: Uint8Array | string = ''): FrameSpec => ({ opcode: OP.ping, payload });
export const pong = (payload: Uint8Array | string = ''): FrameSpec => ({ opcode: OP.pong, payload });

/** A close frame: no payload, or a code and a reason (a string, or raw bytes for invalid UTF-8). */
export function close(code?: number, reason: string | Uint8Array = ''): FrameSpec {
  if (code === undefined) return { opcode: OP.close };
  const why = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : Buffer.from(reason);
  const payload = Buffer.alloc(2 + why.length);
  payload.writeUInt16BE(code, 0);
  why.copy(payload, 2);
  return { opcode: OP.close, payload };
}

export function bytesOf(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** Encodes one frame, masked with `maskKey` when given, with the shortest length encoding (§5.2). */
export function encodeFrame(frame: FrameSpec, maskKey: Buffer | null): Buffer {
  const payload = bytesOf(frame.payload);
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const headerLength = 2 + extended + (maskKey === null ? 0 : 4);
  const out = Buffer.allocUnsafe(headerLength + length);
  out[0] = ((frame.fin ?? true) ? 0x80 : 0) | (((frame.rsv ?? 0) & 7) << 4) | (frame.opcode & 0xf);
  out[1] = (maskKey === null ? 0 : 0x80) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) out.writeUInt16BE(length, 2);
  if (extended === 8) out.writeBigUInt64BE(BigInt(length), 2);
  if (maskKey === null) {
    payload.copy(out, headerLength);
  } else {
    maskKey.copy(out, 2 + extended);
    for (let i = 0; i < length; i++) out[headerLength + i] = payload[i]! ^ maskKey[i & 3]!;
  }
  return out;
}

/**
 * Decodes frames from a byte stream delivered in arbitrary chunks. Chunks are kept as they came
 * and copied once, when a frame is complete, so a 16 MiB frame costs one copy, not one per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): WireFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: WireFrame[] = [];
    for (let frame = this.next(); frame !== null; frame = this.next()) frames.push(frame);
    return frames;
  }

  private next(): WireFrame | null {
    if (this.buffered < 2) return null;
    const head = this.peek(Math.min(this.buffered, 14));
    const masked = (head[1]! & 0x80) !== 0;
    const length7 = head[1]! & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerLength = 2 + extended + (masked ? 4 : 0);
    if (head.length < headerLength) return null;
    let length = length7;
    let encodingError: string | null = null;
    if (extended === 2) {
      length = head.readUInt16BE(2);
      if (length < 126) encodingError = `length ${length} in a 16-bit field (§5.2: minimal encoding)`;
    } else if (extended === 8) {
      const big = head.readBigUInt64BE(2);
      if (big >> 63n) throw new Error('64-bit length with the most significant bit set (§5.2)');
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`frame of ${big} bytes`);
      length = Number(big);
      if (length < 0x10000) encodingError = `length ${length} in a 64-bit field (§5.2: minimal encoding)`;
    }
    if (this.buffered < headerLength + length) return null;
    const maskKey = masked ? Buffer.from(head.subarray(2 + extended, headerLength)) : null;
    this.take(headerLength);
    const payload = this.take(length);
    if (maskKey !== null) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i & 3]!;
    return { fin: (head[0]! & 0x80) !== 0, rsv: (head[0]! >> 4) & 7, opcode: head[0]! & 0xf, masked, maskKey, payload, encodingError };
  }

  /** A copy of the first `n` buffered bytes (n <= 14). */
  private peek(n: number): Buffer {
    const out = Buffer.alloc(n);
    let filled = 0;
    for (const chunk of this.chunks) {
      filled += chunk.copy(out, filled, 0, Math.min(chunk.length, n - filled));
      if (filled === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes, in a buffer of its own. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
