/**
 * The opening handshake over HTTP/2 (RFC 8441): the extended CONNECT request that asks for a
 * WebSocket on a stream, and its answer. Pure: the caller hands in the header block as Node's
 * `http2` module delivers it (pseudo-headers included) and sends what comes back.
 *
 * What changes from HTTP/1.1 (RFC 8441 §5): `:method CONNECT` with `:protocol websocket` instead
 * of `GET` with `Upgrade`/`Connection`; no `Sec-WebSocket-Key`/`Sec-WebSocket-Accept`; success is a
 * 2xx, not 101. Version, subprotocols, extensions and `Origin` work as in RFC 6455 §4.
 */
import { Buffer } from 'node:buffer';
import { BadHandshakeError, HandshakeError, InvalidHeaderError } from './errors.js';
import { type ExtensionOffer, formatExtensions, parseExtensions, parseTokenList } from './header-tokens.js';
import { assertHeaderField, computeAccept, isValidKey } from './handshake.js';
import { HttpHeaders } from './headers.js';
import { listHeader, singleHeader } from './server-handshake.js';

/** A header block as Node's `http2` module gives it: lowercase names, pseudo-headers included. */
export type H2HeaderBlock = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The WebSocket-relevant facts of a valid extended CONNECT request. */
export interface ConnectRequestInfo {
  /** `:path`: the resource with its query, e.g. `/chat?room=1`. */
  path: string;
  /** `:scheme`: `https` or `http`. */
  scheme: string;
  /** `:authority`, the HTTP/2 counterpart of `Host`. */
  host: string;
  /** The `origin` header, when the client sent one (browsers always do). */
  origin: string | undefined;
  /** `sec-websocket-protocol` values, in the client's order of preference. */
  subprotocols: string[];
  /** `sec-websocket-extensions` offers, in the client's order. */
  extensions: ExtensionOffer[];
  /** The regular (non-pseudo) header fields. */
  headers: HttpHeaders;
  /**
   * A `sec-websocket-key` the client sent although RFC 8441 §5 does not use it (undici 7 does),
   * when it is a valid key; undefined otherwise.
   */
  key: string | undefined;
}

/**
 * Connection-specific fields are malformed in HTTP/2 (RFC 9113 §8.2.2), and RFC 8441 §5 replaces
 * `Upgrade`/`Connection` by `:protocol`.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

const VERSION_HEADER: ReadonlyArray<readonly [string, string]> = [['sec-websocket-version', '13']];

/** Whether a header block is an RFC 8441 request for a WebSocket (`:method CONNECT`, `:protocol websocket`). */
export function isWebSocketConnect(block: H2HeaderBlock): boolean {
  return one(block, ':method') === 'CONNECT' && one(block, ':protocol')?.toLowerCase() === 'websocket';
}

/**
 * Checks an extended CONNECT request (RFC 8441 §4, §5). Throws a {@link HandshakeError} whose status
 * is the answer to give: 405 for a method other than CONNECT, 501 for a `:protocol` other than
 * `websocket`, 426 (with `sec-websocket-version: 13`) for another version (RFC 6455 §4.4), 400 for
 * anything else malformed.
 */
export function validateConnectRequest(block: H2HeaderBlock): ConnectRequestInfo {
  if (one(block, ':method') !== 'CONNECT') throw new HandshakeError(405, 'a WebSocket over HTTP/2 is opened with CONNECT', [['allow', 'CONNECT']]);
  const protocol = one(block, ':protocol');
  if (protocol === undefined) throw new HandshakeError(400, 'the :protocol pseudo-header is missing (RFC 8441 §4)');
  if (protocol.toLowerCase() !== 'websocket') throw new HandshakeError(501, `protocol ${JSON.stringify(protocol)} is not supported`);
  // §4: unlike a plain CONNECT, the extended one names a resource with :scheme and :path.
  const scheme = one(block, ':scheme');
  const path = one(block, ':path');
  if (scheme === undefined || scheme === '' || path === undefined || path === '') {
    throw new HandshakeError(400, 'an extended CONNECT needs :scheme and :path (RFC 8441 §4)');
  }
  const headers = regularHeaders(block);
  for (const name of CONNECTION_SPECIFIC) {
    if (headers.has(name)) throw new HandshakeError(400, `the ${name} header is not allowed in HTTP/2 (RFC 8441 §5)`);
  }
  const host = one(block, ':authority') ?? singleHeader(headers, 'host');
  if (host === undefined || host === '') throw new HandshakeError(400, 'the :authority pseudo-header is missing');
  if (singleHeader(headers, 'sec-websocket-version') !== '13') throw new HandshakeError(426, 'sec-websocket-version must be 13', VERSION_HEADER);
  const subprotocols = listHeader(headers, 'sec-websocket-protocol', parseTokenList);
  const extensions = listHeader(headers, 'sec-websocket-extensions', parseExtensions);
  const key = singleHeader(headers, 'sec-websocket-key');
  return { path, scheme, host, origin: headers.get('origin'), subprotocols, extensions, headers, key: key !== undefined && isValidKey(key) ? key : undefined };
}

/** What {@link buildConnectResponse} needs for the 200 that opens the WebSocket. */
export interface ConnectResponseInit {
  /** The subprotocol chosen; none when undefined. */
  subprotocol?: string | undefined;
  /** The extensions accepted, with their response parameters. */
  extensions?: readonly ExtensionOffer[];
  /** Extra headers from the application, such as `set-cookie`. */
  headers?: Iterable<readonly [string, string]>;
  /**
   * The client's `sec-websocket-key`, when it sent one anyway: answered with
   * `sec-websocket-accept` for clients that check it over HTTP/2 too (undici 7). RFC 8441 §5 uses
   * neither; a client that sends no key gets no accept.
   */
  key?: string | undefined;
}

/** Headers the handshake itself owns; a caller may not set them. */
const RESERVED_RESPONSE_HEADERS = new Set(['sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol']);

/** RFC 8441 §5: the 2xx response (200) that opens the WebSocket; no `sec-websocket-accept`. */
export function buildConnectResponse(init: ConnectResponseInit): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { ':status': '200' };
  if (init.key !== undefined) out['sec-websocket-accept'] = computeAccept(init.key);
  if (init.subprotocol !== undefined && init.subprotocol !== '') out['sec-websocket-protocol'] = init.subprotocol;
  if (init.extensions !== undefined && init.extensions.length > 0) out['sec-websocket-extensions'] = formatExtensions(init.extensions);
  for (const [name, value] of init.headers ?? []) {
    const lower = name.toLowerCase();
    if (RESERVED_RESPONSE_HEADERS.has(lower)) throw new InvalidHeaderError(`the ${name} header is set by the handshake, not by the caller`);
    addHeader(out, lower, value);
  }
  return out;
}

/** A refusal of an extended CONNECT, as {@link buildConnectRefusal} builds it. */
export interface ConnectRefusal {
  /** The response header block, `:status` included. */
  headers: Record<string, string | string[]>;
  /** A short plain-text body saying why. */
  body: Buffer;
}

/** An HTTP error that refuses the WebSocket: the header block and a short plain-text body. */
export function buildConnectRefusal(
  status: number,
  message: string,
  headers: Iterable<readonly [string, string]> = [],
): ConnectRefusal {
  const body = Buffer.from(`${message}\n`, 'utf8');
  const out: Record<string, string | string[]> = { ':status': String(status), 'content-type': 'text/plain; charset=utf-8' };
  for (const [name, value] of headers) addHeader(out, name.toLowerCase(), value);
  out['content-length'] = String(body.length);
  return { headers: out, body };
}

function addHeader(out: Record<string, string | string[]>, name: string, value: string): void {
  if (name.startsWith(':') || CONNECTION_SPECIFIC.has(name)) throw new InvalidHeaderError(`the ${name} header cannot be sent over HTTP/2`);
  assertHeaderField(name, value);
  const previous = out[name];
  if (previous === undefined) out[name] = value;
  else if (typeof previous === 'string') out[name] = [previous, value];
  else previous.push(value);
}

/** The client's side: the request header block of an extended CONNECT (RFC 8441 §4, §5). */
export interface ConnectRequestInit {
  /** `:scheme`: `https` for `wss:`, `http` for `ws:`. */
  scheme: 'https' | 'http';
  /** `:authority`: host and, when not the default, port. */
  authority: string;
  /** `:path`: path and query. */
  path: string;
  /** Subprotocols to offer, in order of preference; each must be a token. */
  subprotocols?: readonly string[];
  /** Extensions to offer, such as a permessage-deflate offer. */
  extensions?: readonly ExtensionOffer[];
  /** Extra headers (origin, cookies, authorization, ...). */
  headers?: Iterable<readonly [string, string]>;
}

const RESERVED_REQUEST_HEADERS = new Set(['host', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);

/**
 * The header block of a client's extended CONNECT (RFC 8441 §4): `:method CONNECT`,
 * `:protocol websocket`, and the WebSocket headers of RFC 6455 §4.1 without key or upgrade.
 */
export function buildConnectRequest(init: ConnectRequestInit): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': init.scheme,
    ':authority': init.authority,
    ':path': init.path,
    'sec-websocket-version': '13',
  };
  if (/[\s\x00-\x1f\x7f]/.test(init.path) || init.path === '') throw new InvalidHeaderError('invalid request target');
  const subprotocols = init.subprotocols ?? [];
  if (subprotocols.length > 0) {
    if (parseTokenList(subprotocols.join(',')) === null || subprotocols.some((p) => p === '')) {
      throw new InvalidHeaderError('subprotocols must be tokens (RFC 6455 §4.1)');
    }
    out['sec-websocket-protocol'] = subprotocols.join(', ');
  }
  if (init.extensions !== undefined && init.extensions.length > 0) out['sec-websocket-extensions'] = formatExtensions(init.extensions);
  for (const [name, value] of init.headers ?? []) {
    const lower = name.toLowerCase();
    // Host is :authority in HTTP/2 (RFC 9113 §8.3.1); the rest belong to the handshake.
    if (RESERVED_REQUEST_HEADERS.has(lower)) throw new InvalidHeaderError(`the ${name} header is set by the handshake`);
    addHeader(out, lower, value);
  }
  return out;
}

/** What the client offered, to check the answer against. */
export interface ConnectExpectations {
  /** Subprotocols offered. */
  subprotocols: readonly string[];
  /** Names of the extensions offered. */
  extensions: readonly string[];
}

/** What the server agreed to, from {@link validateConnectResponse}. */
export interface ConnectAgreement {
  /** The subprotocol chosen, or '' for none. */
  subprotocol: string;
  /** The extensions accepted, with their parameters. */
  extensions: ExtensionOffer[];
}

/**
 * RFC 8441 §5: a 2xx opens the WebSocket; the subprotocol and extensions chosen must be among
 * those offered (RFC 6455 §4.1). Throws `BadHandshakeError` otherwise.
 */
export function validateConnectResponse(status: number, headers: HttpHeaders, expect: ConnectExpectations): ConnectAgreement {
  const fail = (message: string): BadHandshakeError => new BadHandshakeError(`websocket: bad handshake: ${message}`, status, headers);
  if (status < 200 || status > 299) throw fail(`unexpected status ${status}`);
  let subprotocol = '';
  const protocols = headers.getAll('sec-websocket-protocol');
  if (protocols.length > 1) throw fail('more than one sec-websocket-protocol header');
  if (protocols.length === 1) {
    subprotocol = protocols[0]!;
    if (!expect.subprotocols.includes(subprotocol)) throw fail(`the server chose subprotocol ${JSON.stringify(subprotocol)}, which was not offered`);
  }
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = headers.get('sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensions(extensionHeader);
    if (parsed === null) throw fail('malformed sec-websocket-extensions header');
    for (const e of parsed) if (!expect.extensions.includes(e.name)) throw fail(`the server accepted extension ${e.name}, which was not offered`);
    extensions = parsed;
  }
  return { subprotocol, extensions };
}

/** The regular fields of a response header block (pseudo-headers left out). */
export function regularHeaders(block: H2HeaderBlock): HttpHeaders {
  const headers = new HttpHeaders();
  for (const name of Object.keys(block)) {
    if (name.startsWith(':')) continue;
    const value = block[name];
    if (typeof value === 'string') headers.append(name, value);
    else if (value !== undefined) for (const v of value) headers.append(name, v);
  }
  return headers;
}

function one(block: H2HeaderBlock, name: string): string | undefined {
  const value = block[name];
  return typeof value === 'string' ? value : undefined;
}

