/** Message data as a Buffer (sharing memory where it can). */
import { Buffer } from 'node:buffer';
import type { MessageData } from '../connection/message.js';

export function toBuffer(data: MessageData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
