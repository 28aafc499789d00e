/**
 * The fuzzer's own frame encoder (client frames, valid or not) and decoder (server frames),
 * written apart from the library so that a bug there cannot hide the same bug in the library.
 */
import { constants, inflateRawSync } from 'node:zlib';

/** How a frame's length is written: minimally (§5.2), or in a longer form than needed. */
export type LengthForm = 'minimal' | 'form16' | 'form64';

/** One client frame, as the fuzzer wants it on the wire. */
export interface FrameSpec {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  maskKey: number;
  payload: Uint8Array;
  lengthForm: LengthForm;
  /** A length declared in the header with no payload sent: only the header goes out. */
  declaredLength?: bigint;
}

/** §5.2: the extended length bytes a length needs at least: none, 2 or 8. */
export function minimalLengthBytes(length: bigint): 0 | 2 | 8 {
  return length > 0xffffn ? 8 : length > 125n ? 2 : 0;
}

/** The extended length bytes `f` is written with (a longer form only where the length fits it). */
export function lengthBytesOf(f: FrameSpec): 0 | 2 | 8 {
  const length = f.declaredLength ?? BigInt(f.payload.length);
  const minimal = minimalLengthBytes(length);
  if (f.declaredLength !== undefined || f.lengthForm === 'form64') return 8;
  if (f.lengthForm === 'form16' && minimal < 2) return 2;
  return minimal;
}

/** The bytes of one client frame. */
export function encodeFrame(f: FrameSpec): Buffer {
  const length = f.declaredLength ?? BigInt(f.payload.length);
  const lengthBytes = lengthBytesOf(f);
  const header = Buffer.alloc(2 + lengthBytes + (f.masked ? 4 : 0));
  header[0] = (f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | (f.rsv2 ? 0x20 : 0) | (f.rsv3 ? 0x10 : 0) | (f.opcode & 0x0f);
  const maskBit = f.masked ? 0x80 : 0;
  if (lengthBytes === 0) header[1] = maskBit | Number(length);
  else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (f.masked) header.writeUInt32BE(f.maskKey >>> 0, 2 + lengthBytes);
  if (f.declaredLength !== undefined) return header;
  const payload = Buffer.from(f.payload);
  if (f.masked) {
    const key = header.subarray(2 + lengthBytes);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
  }
  return Buffer.concat([header, payload]);
}

/** A frame the server sent. */
export interface ServerFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Decodes server frames from a byte stream fed in pieces. */
export class ServerFrameReader {
  private pending: Buffer = Buffer.alloc(0);
  readonly frames: ServerFrame[] = [];

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const p = this.pending;
      if (p.length < 2) return;
      let length = p[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (p.length < 4) return;
        length = p.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (p.length < 10) return;
        length = Number(p.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (p[1]! & 0x80) !== 0;
      if (masked) at += 4;
      if (p.length < at + length) return;
      this.frames.push({
        fin: (p[0]! & 0x80) !== 0,
        rsv1: (p[0]! & 0x40) !== 0,
        rsv2: (p[0]! & 0x20) !== 0,
        rsv3: (p[0]! & 0x10) !== 0,
        opcode: p[0]! & 0x0f,
        masked,
        payload: Buffer.from(p.subarray(at, at + length)),
      });
      this.pending = p.subarray(at + length);
    }
  }
}

/** §7.2.2: appended to a message's compressed data before inflating. */
export const DEFLATE_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Inflates one permessage-deflate message (no context takeover), or throws zlib's error. */
export function inflateMessage(data: Uint8Array, maxOutputLength?: number): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  return inflateRawSync(Buffer.concat([data, DEFLATE_TRAILER]), {
    finishFlush: constants.Z_SYNC_FLUSH,
    ...(maxOutputLength !== undefined ? { maxOutputLength } : {}),
  });
}
