/**
 * How a message travels through Redis. On pub/sub: `<id>\n<header>\n<data>`; in a stream entry:
 * fields `h` (the header) and `d` (the data), the entry's id being the message's. The header is
 * `<origin> <flag> <type> <tag>`: the backplane that sent it, 'L' when its own process delivered
 * it already (published while Redis was unreachable), the message type, and the hub's tag ('-' if none).
 */
import { Buffer } from 'node:buffer';
import { BinaryMessage, type DataMessageType, TextMessage } from '../connection/message.js';
import { isMessageId } from '../hub/topic-message.js';

export interface Envelope {
  readonly id: string | null;
  readonly origin: string;
  readonly deliveredLocally: boolean;
  readonly type: DataMessageType;
  readonly tag: string;
  readonly data: Buffer;
}

const NEWLINE = 0x0a;
const NO_ID = '-';

export function encodeHeader(origin: string, deliveredLocally: boolean, type: DataMessageType, tag: string): string {
  return `${origin} ${deliveredLocally ? 'L' : '-'} ${type} ${tag === '' ? '-' : tag}`;
}

/** A pub/sub message for a topic without history. */
export function encodeLive(header: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${NO_ID}\n${header}\n`), data]);
}

/** Reads a pub/sub message; null for anything malformed. */
export function decodeLive(raw: Buffer): Envelope | null {
  const first = raw.indexOf(NEWLINE);
  const second = first < 0 ? -1 : raw.indexOf(NEWLINE, first + 1);
  if (second < 0) return null;
  const id = raw.subarray(0, first).toString('latin1');
  return decodeParts(id === NO_ID ? null : id, raw.subarray(first + 1, second).toString('latin1'), raw.subarray(second + 1));
}

/** Reads a stream entry (`[id, [field, value, ...]]`); null for anything malformed. */
export function decodeEntry(entry: unknown): Envelope | null {
  if (!Array.isArray(entry) || entry.length !== 2) return null;
  const [id, fields] = entry as [unknown, unknown];
  if (!Array.isArray(fields)) return null;
  let header: string | null = null;
  let data: Buffer | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = text(fields[i]);
    if (name === 'h') header = text(fields[i + 1]);
    else if (name === 'd') data = asBuffer(fields[i + 1]);
  }
  const entryId = text(id);
  if (header === null || data === null || entryId === null) return null;
  return decodeParts(entryId, header, data);
}

function decodeParts(id: string | null, header: string, data: Buffer): Envelope | null {
  if (id !== null && !isMessageId(id)) return null;
  const parts = header.split(' ');
  if (parts.length !== 4) return null;
  const [origin, flag, typeText, tag] = parts as [string, string, string, string];
  const type = Number(typeText);
  if (type !== TextMessage && type !== BinaryMessage) return null;
  return { id, origin, deliveredLocally: flag === 'L', type, tag: tag === '-' ? '' : tag, data };
}

/** A reply's bulk string as text (clients return Buffers or strings); null for anything else. */
export function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  return null;
}

function asBuffer(value: unknown): Buffer | null {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  return null;
}
