/**
 * Payload previews for the frame inspector: text as escaped UTF-8, binary as hex, both cut to a
 * few bytes; close payloads as code and reason.
 */
import { decodeClosePayload } from '../../src/protocol/close.js';
import { isValidUtf8 } from '../../src/protocol/utf8.js';

const CLOSE_CODE_NAMES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
};

/** What a close code means (§7.4.1; 3000–4999 are for libraries and applications, §7.4.2). */
export function closeCodeName(code: number): string {
  const known = CLOSE_CODE_NAMES[code];
  if (known !== undefined) return known;
  if (code >= 3000 && code <= 3999) return 'registered';
  if (code >= 4000 && code <= 4999) return 'private use';
  return 'not a valid code';
}

/** `00 01 fe`: bytes as spaced hex. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** A string in double quotes, with control, format and separator characters escaped so a terminal shows them. */
export function quote(text: string): string {
  return JSON.stringify(text).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** `…(+N bytes)` when only part of the payload is shown. */
function more(shown: number, total: number): string {
  return total > shown ? `…(+${total - shown} bytes)` : '';
}

/** The length of the UTF-8 sequence a lead byte starts; 0 for a continuation byte or an invalid byte. */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte <= 0xdf) return 2;
  if (byte >= 0xe0 && byte <= 0xef) return 3;
  if (byte >= 0xf0 && byte <= 0xf4) return 4;
  return 0;
}

/** Where a character cut off at the end begins, or `bytes.length` when the end is whole. */
function incompleteTail(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = sequenceLength(byte);
    return needed > 0 && i + needed > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}

export interface TextPreviewOptions {
  /** Payload bytes in all; `bytes` holds the first of them. */
  total: number;
  /** The frame continues a message, so it may start inside a character begun in the frame before. */
  continuation: boolean;
  /** The message goes on after this frame, so it may end inside a character. */
  unfinished: boolean;
}

/**
 * A text payload as an escaped string. Characters split at the preview's edges (by the cut, or by
 * fragmentation) are shown as `…`; bytes that cannot be UTF-8 make it a hex preview instead.
 */
export function textPreview(bytes: Uint8Array, options: TextPreviewOptions): string {
  let start = 0;
  if (options.continuation) while (start < Math.min(3, bytes.length) && (bytes[start]! & 0xc0) === 0x80) start++;
  const cut = options.total > bytes.length || options.unfinished;
  const end = cut ? incompleteTail(bytes) : bytes.length;
  const body = bytes.subarray(start, Math.max(start, end));
  if (!isValidUtf8(body)) return `invalid UTF-8, hex:${hex(bytes)}${more(bytes.length, options.total)}`;
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return `${start > 0 ? '…' : ''}${quote(text)}${more(end, options.total)}`;
}

/** A binary payload as hex. */
export function binaryPreview(bytes: Uint8Array, total: number): string {
  if (total === 0) return '(empty)';
  return `hex:${hex(bytes)}${more(bytes.length, total)}`;
}

/** A ping or pong payload: text when it is UTF-8 without control characters, hex otherwise. */
export function controlPreview(payload: Uint8Array): string {
  if (payload.length === 0) return '(empty)';
  if (isValidUtf8(payload)) {
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    if (!/\p{Cc}/u.test(text)) return quote(text);
  }
  return `hex:${hex(payload)}`;
}

/** A close payload (§5.5.1): code, its meaning and the reason, or what is wrong with it. */
export function closePreview(payload: Uint8Array): string {
  if (payload.length === 0) return 'no status code';
  try {
    const { code, reason } = decodeClosePayload(payload);
    return `code=${code} (${closeCodeName(code)}) reason=${quote(reason)}`;
  } catch (err) {
    return `invalid close payload (${(err as Error).message}), hex:${hex(payload)}`;
  }
}
