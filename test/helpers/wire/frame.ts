/**
 * The test suite's own view of a WebSocket frame, written from RFC 6455 §5.2 and sharing nothing
 * with src/ (not even constants): when the tests check what the library sends, a framing bug in
 * the library cannot hide behind the same bug in the decoder that checks it.
 */

/** Opcodes of §5.2 ("%x0 denotes a continuation frame" ... "%xA denotes a pong"). */
export const Op = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** A frame as the wire carries it; `payload` is always the unmasked application bytes. */
export interface WireFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** 4 bits, any value (reserved ones included: the decoder reports, it does not judge). */
  opcode: number;
  masked: boolean;
  /** The 4-byte masking key of a masked frame, else null. */
  maskKey: Buffer | null;
  payload: Buffer;
  /**
   * Whether the payload length used the shortest form (§5.2: "the minimal number of bytes MUST
   * be used to encode the length").
   */
  minimalLength: boolean;
}

/** What the encoder needs; everything but `opcode` has a default (FIN set, no RSV, unmasked). */
export interface WireFrameInit {
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  opcode: number;
  /** A 4-byte masking key: the frame is masked with it. Absent: unmasked. */
  maskKey?: Buffer;
  /** Bytes (any Uint8Array), or text sent as UTF-8. Default empty. */
  payload?: Uint8Array | string;
}

/** Whether `opcode` is a control frame's (§5.5: the most significant bit of the opcode is 1). */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** The status code of a close frame's payload (§5.5.1), 1005 when it has none (§7.1.5). */
export function closeCodeOf(frame: WireFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
