/**
 * The request side of a server handshake, as the application sees it: the parsed request, and a
 * request that was read and checked but not answered yet.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HandshakeError, InvalidHeaderError } from '../protocol/errors.js';
import { type HeadersInit, type HttpHeaders, headerEntries } from '../protocol/headers.js';
import { type UpgradeRequestInfo, isSameOrigin, selectSubprotocol } from '../protocol/server-handshake.js';
import type { UpgraderOptions } from './upgrader.js';

/** The upgrade request, as the application sees it. */
export interface UpgradeRequest {
  /** `GET` (anything else is refused with 405); `CONNECT` for an HTTP/2 stream (RFC 8441). */
  method: string;
  /** The request target, e.g. `/chat?room=1`. */
  url: string;
  /** Every request header, looked up case-insensitively. */
  headers: HttpHeaders;
  /** The `Host` header. */
  host: string;
  /** The `Origin` header, if any. */
  origin: string | undefined;
  /** Subprotocols the client offered, in its order of preference. */
  subprotocols: string[];
  /** The client's IP address (behind a proxy, the proxy's). */
  remoteAddress: string | undefined;
  /** The `node:http` request, when the upgrade came through `upgrade()`. */
  httpRequest?: IncomingMessage;
  /** `'h2'` when the WebSocket came as an HTTP/2 stream (RFC 8441, `method` is then `CONNECT`); absent over HTTP/1.1. */
  transport?: 'h2';
}

/** What a failed handshake looks like to the `error` option. */
export interface HandshakeFailure {
  /** The HTTP status answered (400, 403, 404, 405, 408, 414, 426, 431, ...). */
  status: number;
  /** Why, in words. */
  reason: string;
  /** The request, when it was parsed far enough. */
  request: UpgradeRequest | undefined;
}

/** An HTTP error response to send instead of the default one. */
export interface HttpErrorResponse {
  /** Another status to answer with. Default: the failure's own. */
  status?: number;
  /** Response headers to add. */
  headers?: HeadersInit;
  /** The response body (text/plain). Default: the failure's reason. */
  body?: string;
}

/**
 * @internal The checks an accepted handshake passes over either transport: the origin (403), then
 * the subprotocol (§4.2.2): the server's first choice among those offered, or one named by a
 * `Sec-WebSocket-Protocol` response header (gorilla's way), which must have been offered. Returns
 * it (undefined for none) with the other response headers.
 */
export function originAndSubprotocol(
  options: UpgraderOptions,
  request: UpgradeRequest,
  offered: readonly string[],
  responseHeaders: HeadersInit | undefined,
): { subprotocol: string | undefined; extra: Array<[string, string]> } {
  const checkOrigin = options.checkOrigin ?? ((r: UpgradeRequest) => isSameOrigin(r.origin, r.host));
  if (!checkOrigin(request)) throw new HandshakeError(403, 'origin not allowed');
  const extra = headerEntries(responseHeaders);
  let subprotocol = selectSubprotocol(offered, options.subprotocols ?? []);
  const chosen = extra.findIndex(([name]) => name.toLowerCase() === 'sec-websocket-protocol');
  if (chosen >= 0) {
    const value = extra[chosen]![1];
    if (!offered.includes(value)) throw new InvalidHeaderError(`subprotocol ${JSON.stringify(value)} was not offered by the client`);
    subprotocol = value;
    extra.splice(chosen, 1);
  }
  return { subprotocol, extra };
}

/** @internal The refusal to send for a failed handshake: the failure's own, or what the `error` option made of it. */
export function refusalFor(
  error: ((failure: HandshakeFailure) => HttpErrorResponse | void) | undefined,
  err: HandshakeError,
  request: UpgradeRequest | undefined,
): { status: number; headers: Iterable<readonly [string, string]>; body: string } {
  const custom = error?.({ status: err.status, reason: err.message, request });
  if (!custom) return { status: err.status, headers: err.headers, body: err.message };
  return {
    status: custom.status ?? err.status,
    headers: custom.headers !== undefined ? [...err.headers, ...headerEntries(custom.headers)] : err.headers,
    body: custom.body ?? err.message,
  };
}

/**
 * A request read off a socket and checked against RFC 6455 §4.2.1, not answered yet: the caller
 * may route or authenticate on `request`, then `accept()` or `refuse()` it.
 */
export class PendingUpgrade {
  /** The request, to route or authenticate on before answering it. */
  readonly request: UpgradeRequest;
  /** @internal */
  readonly socket: Duplex;
  /** @internal */
  readonly info: UpgradeRequestInfo;
  /** @internal Bytes after the request head: the first WebSocket bytes. */
  readonly rest: Buffer;
  /** @internal */
  settled = false;

  /** @internal */
  constructor(socket: Duplex, request: UpgradeRequest, info: UpgradeRequestInfo, rest: Buffer) {
    this.socket = socket;
    this.request = request;
    this.info = info;
    this.rest = rest;
  }
}
