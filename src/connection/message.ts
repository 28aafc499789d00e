/**
 * Message types, numbered as their opcodes, with gorilla's names.
 */
import { Buffer } from 'node:buffer';
import { Opcode } from '../protocol/frame.js';

/** A UTF-8 text message (§5.6). */
export const TextMessage = Opcode.Text;
/** A binary message. */
export const BinaryMessage = Opcode.Binary;
/** A close control frame; use with `writeControl`. */
export const CloseMessage = Opcode.Close;
/** A ping control frame; use with `writeControl`. */
export const PingMessage = Opcode.Ping;
/** A pong control frame; use with `writeControl`. */
export const PongMessage = Opcode.Pong;

/** The types of data messages: `TextMessage` (1) or `BinaryMessage` (2). */
export type DataMessageType = typeof TextMessage | typeof BinaryMessage;
/**
 * The types of control frames for `Conn.writeControl`: `CloseMessage` (8), `PingMessage` (9) or
 * `PongMessage` (10).
 */
export type ControlMessageType = typeof CloseMessage | typeof PingMessage | typeof PongMessage;

/** A message as read: its type and its whole payload (for text, valid UTF-8 bytes). */
export interface Message {
  /** `TextMessage` or `BinaryMessage`. */
  type: DataMessageType;
  /** The whole payload (inflated, when it was compressed). */
  data: Buffer;
}

/** What a message payload may be given as when writing. Strings are encoded as UTF-8. */
export type MessageData = string | Uint8Array | ArrayBuffer | DataView;

/** The payload as a Buffer, sharing memory with the input where it can. */
export function toBuffer(data: MessageData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('message data must be a string, a Buffer, a typed array, a DataView or an ArrayBuffer');
}

export function isDataMessageType(type: unknown): type is DataMessageType {
  return type === TextMessage || type === BinaryMessage;
}
