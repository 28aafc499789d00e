import { type ConnectionEvents, type DataOpcode, ConnectionCore, type CoreOptions } from '../../src/protocol/core.js';
import type { ProtocolError } from '../../src/protocol/errors.js';
import { decodeWireFrames } from './wire/decode.js';
import { Op, type WireFrame, closeCodeOf as closeCode } from './wire/frame.js';

export type RecordedEvent =
  | { kind: 'message'; opcode: DataOpcode; compressed: boolean; data: Buffer }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'error'; code: number; message: string };

/** Collects a core Connection's events, joining message pieces into whole messages. */
export class Recorder implements ConnectionEvents {
  readonly events: RecordedEvent[] = [];
  private opcode: DataOpcode = 1;
  private compressed = false;
  private pieces: Buffer[] = [];
  /** How many pieces the last completed message arrived in. */
  lastPieceCount = 0;
  lastPieces: Buffer[] = [];

  onMessageStart(opcode: DataOpcode, compressed: boolean): void {
    this.opcode = opcode;
    this.compressed = compressed;
    this.pieces = [];
  }
  onMessageData(data: Buffer): void {
    this.pieces.push(data);
  }
  onMessageEnd(): void {
    this.lastPieceCount = this.pieces.length;
    this.lastPieces = this.pieces;
    this.events.push({ kind: 'message', opcode: this.opcode, compressed: this.compressed, data: Buffer.concat(this.pieces) });
  }
  onPing(data: Buffer): void {
    this.events.push({ kind: 'ping', data: Buffer.from(data) });
  }
  onPong(data: Buffer): void {
    this.events.push({ kind: 'pong', data: Buffer.from(data) });
  }
  onClose(code: number, reason: string): void {
    this.events.push({ kind: 'close', code, reason });
  }
  onError(error: ProtocolError): void {
    this.events.push({ kind: 'error', code: error.closeCode, message: error.message });
  }
}

export function makeConnection(options: Partial<CoreOptions> & Pick<CoreOptions, 'role'>): { conn: ConnectionCore; rec: Recorder } {
  const rec = new Recorder();
  const conn = new ConnectionCore(options, rec);
  return { conn, rec };
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, clamped). */
export function chop(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    if (p > prev) out.push(Buffer.from(bytes.subarray(prev, p)));
    prev = p;
  }
  if (prev < bytes.length) out.push(Buffer.from(bytes.subarray(prev)));
  return out;
}

/** A frame the library sent, decoded by the tests' own codec (helpers/wire, apart from src/). */
export type { WireFrame } from './wire/frame.js';

/** Decodes every complete frame in `bytes` (unmasking masked ones). */
export function decodeFrames(bytes: Buffer | Buffer[]): WireFrame[] {
  return decodeWireFrames(bytes);
}

/** The close code of the first close frame in `bytes` (1005 for an empty one), or null if none. */
export function closeCodeOf(bytes: Buffer | Buffer[]): number | null {
  const close = decodeFrames(bytes).find((f) => f.opcode === Op.close);
  return close === undefined ? null : closeCode(close);
}
