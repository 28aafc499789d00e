/**
 * The server side of the opening handshake (RFC 6455 §4.2): checking the client's request,
 * choosing a subprotocol, and writing the 101 response or an HTTP error.
 */
import { Buffer } from 'node:buffer';
import { HandshakeError, InvalidHeaderError } from './errors.js';
import { type ExtensionOffer, formatExtensions, parseExtensions, parseTokenList, tokenListHas } from './header-tokens.js';
import { STATUS_TEXT, computeAccept, formatHeaderLines, isValidKey } from './handshake.js';
import type { HttpHeaders } from './headers.js';
import type { RequestHead } from './http-head.js';

/** The WebSocket-relevant facts of a valid upgrade request. */
export interface UpgradeRequestInfo {
  /** The client's `Sec-WebSocket-Key`. */
  key: string;
  /** `Sec-WebSocket-Protocol` values, in the client's order of preference. */
  subprotocols: string[];
  /** `Sec-WebSocket-Extensions` offers, in the client's order. */
  extensions: ExtensionOffer[];
  /** The `Origin` header, when the client sent one (browsers always do). */
  origin: string | undefined;
  /** The `Host` header. */
  host: string;
}

const VERSION_HEADER: ReadonlyArray<readonly [string, string]> = [['Sec-WebSocket-Version', '13']];

/**
 * Checks an upgrade request against §4.2.1. Throws a {@link HandshakeError} whose status is the
 * answer the RFC asks for: 405 for a method other than GET, 426 (with `Upgrade: websocket`) when
 * the client did not ask for a WebSocket, 426 (with `Sec-WebSocket-Version: 13`) for another
 * version (§4.4), 400 for anything else malformed.
 */
export function validateUpgradeRequest(head: RequestHead): UpgradeRequestInfo {
  if (head.method !== 'GET') throw new HandshakeError(405, 'the method must be GET', [['Allow', 'GET']]);
  if (head.versionMajor < 1 || (head.versionMajor === 1 && head.versionMinor < 1)) {
    throw new HandshakeError(400, 'HTTP/1.1 or higher is required');
  }
  const h = head.headers;
  if (!tokenListHas(h.get('upgrade'), 'websocket')) {
    throw new HandshakeError(426, "'websocket' token missing from the Upgrade header", [['Upgrade', 'websocket'], ...VERSION_HEADER]);
  }
  if (!tokenListHas(h.get('connection'), 'upgrade')) throw new HandshakeError(400, "'upgrade' token missing from the Connection header");
  const host = singleHeader(h, 'host');
  if (host === undefined || host === '') throw new HandshakeError(400, 'exactly one Host header is required');
  if (singleHeader(h, 'sec-websocket-version') !== '13') {
    throw new HandshakeError(426, 'Sec-WebSocket-Version must be 13', VERSION_HEADER);
  }
  const key = singleHeader(h, 'sec-websocket-key');
  if (key === undefined || !isValidKey(key)) throw new HandshakeError(400, 'Sec-WebSocket-Key must be 16 bytes in base64');
  const subprotocols = listHeader(h, 'sec-websocket-protocol', parseTokenList);
  const extensions = listHeader(h, 'sec-websocket-extensions', parseExtensions);
  return { key, subprotocols, extensions, origin: h.get('origin'), host };
}

/** The value of a header that must appear at most once; undefined when absent or repeated. */
export function singleHeader(h: HttpHeaders, name: string): string | undefined {
  const values = h.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/** A list header (tokens, extensions) parsed with `parse`; empty when absent, 400 when malformed. */
export function listHeader<T>(h: HttpHeaders, name: string, parse: (value: string) => T[] | null): T[] {
  const value = h.get(name);
  if (value === undefined) return [];
  const parsed = parse(value);
  if (parsed === null) throw new HandshakeError(400, `malformed ${name} header`);
  return parsed;
}

/**
 * Gorilla's default origin check: a request without `Origin` passes (it is not from a browser);
 * otherwise the origin's host (with port) must equal `Host`, compared case-insensitively.
 */
export function isSameOrigin(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
  const schemeEnd = origin.indexOf('://');
  if (schemeEnd <= 0) return false; // "null" and other opaque origins
  const authority = origin.slice(schemeEnd + 3);
  if (authority.includes('/') || authority.includes('@')) return false;
  return authority.toLowerCase() === host.toLowerCase();
}

/** §4.2.2: the first of the server's subprotocols, in its order of preference, that the client offered. */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  for (const protocol of supported) if (offered.includes(protocol)) return protocol;
  return undefined;
}

/** Headers the handshake itself owns; a caller may not set them. */
const RESERVED_RESPONSE_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-extensions']);

/** What {@link buildAcceptResponse} needs to write the 101 response. */
export interface AcceptResponseInit {
  /** The client's `Sec-WebSocket-Key`, from which `Sec-WebSocket-Accept` is computed (§4.2.2). */
  key: string;
  /** The subprotocol chosen (`Sec-WebSocket-Protocol`); none when undefined or ''. */
  subprotocol?: string | undefined;
  /** The extensions accepted (`Sec-WebSocket-Extensions`), with their response parameters. */
  extensions?: readonly ExtensionOffer[];
  /** Extra headers from the application, such as `Set-Cookie`. */
  headers?: Iterable<readonly [string, string]>;
}

/** §4.2.2: the 101 response that completes the handshake. */
export function buildAcceptResponse(init: AcceptResponseInit): Buffer {
  let head =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAccept(init.key)}\r\n`;
  const extra: Array<readonly [string, string]> = [];
  if (init.subprotocol !== undefined) extra.push(['Sec-WebSocket-Protocol', init.subprotocol]);
  if (init.extensions !== undefined && init.extensions.length > 0) extra.push(['Sec-WebSocket-Extensions', formatExtensions(init.extensions)]);
  for (const [name, value] of init.headers ?? []) {
    const lower = name.toLowerCase();
    if (RESERVED_RESPONSE_HEADERS.has(lower)) throw new InvalidHeaderError(`the ${name} header is set by the handshake, not by the caller`);
    if (lower === 'sec-websocket-protocol') throw new InvalidHeaderError('choose the subprotocol with the subprotocols option');
    extra.push([name, value]);
  }
  head += formatHeaderLines(extra);
  return Buffer.from(head + '\r\n', 'latin1');
}

/**
 * An HTTP error response that ends the connection: the status, a short plain-text body, and any
 * headers the RFC asks for with that status.
 */
export function buildErrorResponse(status: number, message: string, headers: Iterable<readonly [string, string]> = []): Buffer {
  const body = Buffer.from(`${message}\n`, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    formatHeaderLines(headers) +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
