/**
 * The client side of the opening handshake (RFC 6455 §4.1): the upgrade request, and the checks
 * on the server's answer.
 */
import { Buffer } from 'node:buffer';
import { BadHandshakeError, InvalidHeaderError } from './errors.js';
import { type ExtensionOffer, formatExtensions, parseExtensions, parseTokenList, tokenListHas } from './header-tokens.js';
import { computeAccept, formatHeaderLines } from './handshake.js';
import type { ResponseHead } from './http-head.js';

/** What {@link buildUpgradeRequest} needs to write a client's upgrade request. */
export interface UpgradeRequestInit {
  /** The request-target: path and query, e.g. `/chat?room=1`. */
  target: string;
  /** The `Host` header: host and, when not the default, port; IPv6 literals in brackets. */
  host: string;
  /** The nonce from `generateKey()`. */
  key: string;
  /** Subprotocols to offer (`Sec-WebSocket-Protocol`), in order of preference; each must be a token. */
  subprotocols?: readonly string[];
  /** Extensions to offer (`Sec-WebSocket-Extensions`), such as a permessage-deflate offer. */
  extensions?: readonly ExtensionOffer[];
  /** The `Origin` header; not sent when undefined. */
  origin?: string | undefined;
  /** Extra headers (cookies, authorization...). `Host` given here replaces the default. */
  headers?: Iterable<readonly [string, string]>;
}

/** Headers the handshake owns; the caller sets them through options instead. */
const RESERVED_REQUEST_HEADERS = new Map([
  ['upgrade', 'it is always websocket'],
  ['connection', 'it is always Upgrade'],
  ['sec-websocket-key', 'the key is generated for each handshake'],
  ['sec-websocket-version', 'the version is always 13'],
  ['sec-websocket-extensions', 'use the compression options'],
  ['sec-websocket-protocol', 'use the subprotocols option'],
]);

/** §4.1: the GET request that asks the server to switch to WebSocket. */
export function buildUpgradeRequest(init: UpgradeRequestInit): Buffer {
  let host = init.host;
  const extra: Array<readonly [string, string]> = [];
  for (const [name, value] of init.headers ?? []) {
    const lower = name.toLowerCase();
    const why = RESERVED_REQUEST_HEADERS.get(lower);
    if (why !== undefined) throw new InvalidHeaderError(`the ${name} header is set by the handshake: ${why}`);
    if (lower === 'host') host = value;
    else if (lower === 'origin' && init.origin !== undefined) throw new InvalidHeaderError('Origin is given twice: as an option and as a header');
    else extra.push([name, value]);
  }
  const lines: Array<readonly [string, string]> = [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', init.key],
    ['Sec-WebSocket-Version', '13'],
  ];
  if (init.subprotocols !== undefined && init.subprotocols.length > 0) {
    if (parseTokenList(init.subprotocols.join(',')) === null || init.subprotocols.some((p) => p === '')) {
      throw new InvalidHeaderError('subprotocols must be tokens (RFC 6455 §4.1)');
    }
    lines.push(['Sec-WebSocket-Protocol', init.subprotocols.join(', ')]);
  }
  if (init.extensions !== undefined && init.extensions.length > 0) lines.push(['Sec-WebSocket-Extensions', formatExtensions(init.extensions)]);
  if (init.origin !== undefined) lines.push(['Origin', init.origin]);
  if (init.target.length === 0 || /[\s\x00-\x1f\x7f]/.test(init.target)) throw new InvalidHeaderError('invalid request target');
  const head = `GET ${init.target} HTTP/1.1\r\n` + formatHeaderLines([...lines, ...extra]) + '\r\n';
  return Buffer.from(head, 'latin1');
}

/** What the client offered, for {@link validateUpgradeResponse} to check the answer against. */
export interface ResponseExpectations {
  /** The `Sec-WebSocket-Key` sent: the answer's `Sec-WebSocket-Accept` must be derived from it. */
  key: string;
  /** The subprotocols offered; the server may choose one of them or none. */
  subprotocols: readonly string[];
  /** Names of the extensions offered; the server may accept only those. */
  extensions: readonly string[];
}

/** What a valid 101 response agreed to. */
export interface AcceptedResponse {
  /** The subprotocol the server chose, or '' for none. */
  subprotocol: string;
  /** The extensions the server accepted, to be checked in detail by each extension. */
  extensions: ExtensionOffer[];
}

/** §4.1: the checks a client makes on the server's response before it may speak WebSocket. */
export function validateUpgradeResponse(head: ResponseHead, expect: ResponseExpectations): AcceptedResponse {
  const h = head.headers;
  const fail = (message: string): BadHandshakeError => new BadHandshakeError(`websocket: bad handshake: ${message}`, head.status, h);
  if (head.status !== 101) throw fail(`unexpected status ${head.status} ${head.reason}`.trim());
  const upgrade = h.getAll('upgrade');
  if (upgrade.length !== 1 || upgrade[0]!.toLowerCase() !== 'websocket') throw fail("the Upgrade header is not 'websocket'");
  if (!tokenListHas(h.get('connection'), 'upgrade')) throw fail("'upgrade' token missing from the Connection header");
  const accept = h.getAll('sec-websocket-accept');
  if (accept.length !== 1 || accept[0] !== computeAccept(expect.key)) throw fail('Sec-WebSocket-Accept does not match the key');

  let subprotocol = '';
  const protocols = h.getAll('sec-websocket-protocol');
  if (protocols.length > 1) throw fail('more than one Sec-WebSocket-Protocol header');
  if (protocols.length === 1) {
    subprotocol = protocols[0]!;
    if (!expect.subprotocols.includes(subprotocol)) throw fail(`the server chose subprotocol ${JSON.stringify(subprotocol)}, which was not offered`);
  }

  let extensions: ExtensionOffer[] = [];
  const extensionHeader = h.get('sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensions(extensionHeader);
    if (parsed === null) throw fail('malformed Sec-WebSocket-Extensions header');
    for (const e of parsed) {
      if (!expect.extensions.includes(e.name)) throw fail(`the server accepted extension ${e.name}, which was not offered`);
    }
    extensions = parsed;
  }
  return { subprotocol, extensions };
}
