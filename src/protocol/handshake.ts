/**
 * What both sides of the opening handshake share (RFC 6455 §4): the key and its accept value,
 * and the rule for header fields we write.
 */
import * as crypto from 'node:crypto';
import { InvalidHeaderError } from './errors.js';
import { isToken } from './header-tokens.js';

/** §1.3: the GUID appended to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Node's one-shot `crypto.hash` (20.12 and later) where there is one: 355 against 800 ns for
 * `createHash().update().digest()`, and no `Hash` object per handshake.
 */
const sha1Base64: (input: string) => string =
  typeof crypto.hash === 'function'
    ? (input) => crypto.hash('sha1', input, 'base64')
    : (input) => crypto.createHash('sha1').update(input).digest('base64');

/** §4.2.2: base64 of the SHA-1 of the key followed by the GUID. */
export function computeAccept(key: string): string {
  return sha1Base64(key + WEBSOCKET_GUID);
}

/** §4.1: a nonce of 16 random bytes, base64-encoded. */
export function generateKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

/**
 * The canonical base64 of 16 bytes: 21 characters, a 22nd that carries the last 2 bits (its low 4
 * bits zero: A, Q, g or w), and two `=` of padding.
 */
const SIXTEEN_BYTES_BASE64 = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** §4.2.1 item 5: the key must be the base64 encoding of exactly 16 bytes. */
export function isValidKey(key: string): boolean {
  // Checked as text: no decoding and re-encoding per handshake.
  return key.length === 24 && SIXTEEN_BYTES_BASE64.test(key);
}

/**
 * Refuses a header field we are asked to send when its name is not a token or its value holds a
 * control byte (CR and LF above all: they would let a value inject headers or end the head).
 */
export function assertHeaderField(name: string, value: string): void {
  if (!isToken(name)) throw new InvalidHeaderError(`invalid header name ${JSON.stringify(name)}`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new InvalidHeaderError(`invalid character in the value of header ${name}`);
    }
  }
}

/** Serialises header lines, refusing any that could not be sent safely. */
export function formatHeaderLines(headers: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of headers) {
    assertHeaderField(name, value);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** Reason phrases for the statuses the handshake answers with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  414: 'URI Too Long',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
