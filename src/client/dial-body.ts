/**
 * The first bytes of the body of a refused handshake (a 403 page, a JSON error), for
 * `BadHandshakeError.body`. Only a bounded prefix is kept: enough to show why, never a whole page.
 * The body is delimited as HTTP/1.1 says (RFC 9112 §6.3): chunked, Content-Length, or the close.
 */
import { Buffer } from 'node:buffer';
import type { ResponseHead } from '../protocol/http-head.js';
import { parseTokenList } from '../protocol/header-tokens.js';

/** Most body bytes kept on a failed handshake. */
export const HANDSHAKE_BODY_LIMIT = 1024;
/** Longest wait for those bytes once the response head has arrived (within the handshake timeout). */
export const HANDSHAKE_BODY_WAIT = 1000;

export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/** RFC 9112 §6.3: how the end of a response body is found. */
export function bodyFraming(head: ResponseHead): BodyFraming {
  if ((head.status >= 100 && head.status < 200) || head.status === 204 || head.status === 304) return { kind: 'none' };
  const transfer = head.headers.get('transfer-encoding');
  if (transfer !== undefined) {
    // Transfer-Encoding wins over Content-Length; if chunked is not last, the close ends the body.
    const codings = parseTokenList(transfer);
    return codings !== null && codings.at(-1)?.toLowerCase() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  const lengths = head.headers.getAll('content-length');
  if (lengths.length > 0) {
    const values = new Set(lengths.flatMap((v) => v.split(',').map((s) => s.trim())));
    const [only] = values;
    if (values.size === 1 && only !== undefined && /^\d{1,15}$/.test(only)) return { kind: 'length', length: Number(only) };
  }
  return { kind: 'close' };
}

export interface BodyPrefix {
  body: Buffer;
  /** Nothing more is needed: the body ended, the limit is reached, or the framing is broken. */
  complete: boolean;
}

/** The body prefix held in `raw` (the bytes after the head so far), at most `limit` bytes. */
export function decodeBodyPrefix(framing: BodyFraming, raw: Buffer, limit = HANDSHAKE_BODY_LIMIT): BodyPrefix {
  switch (framing.kind) {
    case 'none':
      return { body: Buffer.alloc(0), complete: true };
    case 'length': {
      const want = Math.min(framing.length, limit);
      return { body: raw.subarray(0, want), complete: raw.length >= want };
    }
    case 'close':
      return { body: raw.subarray(0, limit), complete: raw.length >= limit };
    case 'chunked':
      return decodeChunked(raw, limit);
  }
}

/** RFC 9112 §7.1: `size[;ext] CRLF data CRLF`, ..., `0 CRLF`. Stops at the limit or bad framing. */
function decodeChunked(raw: Buffer, limit: number): BodyPrefix {
  const parts: Buffer[] = [];
  let total = 0;
  let i = 0;
  const done = (complete: boolean): BodyPrefix => ({ body: Buffer.concat(parts, total), complete });
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', i);
    if (lineEnd < 0) return done(raw.length - i > 1024); // a chunk-size line that never ends is broken
    const sizeText = raw.toString('latin1', i, lineEnd).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return done(true);
    const size = parseInt(sizeText, 16);
    if (size === 0) return done(true);
    const dataStart = lineEnd + 2;
    const available = Math.min(size, raw.length - dataStart);
    const take = Math.min(available, limit - total);
    parts.push(raw.subarray(dataStart, dataStart + take));
    total += take;
    if (total >= limit) return done(true);
    if (dataStart + size + 2 > raw.length) return done(false);
    i = dataStart + size + 2;
  }
}
