/**
 * The server side of the opening handshake bound to sockets (gorilla's `Upgrader`): from a
 * `node:http` server's `'upgrade'` event, or from a raw `node:net` socket whose request head we
 * read and parse ourselves.
 */
import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { Conn } from '../connection/conn.js';
import { type ResolvedConnLimits, resolveConnLimits } from '../connection/conn-init.js';
import { type ConnLimits, type NegotiatedDeflate, type PerMessageDeflateOptions, deflateOptionsOf } from '../options.js';
import { acceptDeflateOffer, checkDeflateOptions } from '../protocol/deflate-negotiation.js';
import type { ExtensionOffer } from '../protocol/header-tokens.js';
import { HandshakeError, InvalidHeaderError } from '../protocol/errors.js';
export type { HeadersInit } from '../protocol/headers.js';
export type { HandshakeFailure, HttpErrorResponse, UpgradeRequest } from './upgrade-request.js';
export { PendingUpgrade } from './upgrade-request.js';
export { isWebSocketUpgrade, subprotocols } from './request-inspection.js';
import { type HeadersInit, HttpHeaders, headerEntries } from '../protocol/headers.js';
import type { HeadLimits, RequestHead } from '../protocol/http-head.js';
import { type RefuseHead, readRequestHead } from './head-reader.js';
import { STATUS_TEXT } from '../protocol/handshake.js';
import { type ConnHandler, type RequestSummary, type ServerErrorHandler, printServerError, reportSafely, runHandler } from './run-handler.js';
import { upgradeStream } from './http2.js';
import { type HandshakeFailure, type HttpErrorResponse, PendingUpgrade, type UpgradeRequest, originAndSubprotocol, refusalFor } from './upgrade-request.js';
import { type UpgradeRequestInfo, buildAcceptResponse, buildErrorResponse, validateUpgradeRequest } from '../protocol/server-handshake.js';

/**
 * How an `Upgrader` accepts connections: origin check, subprotocols, error responses, compression, the
 * connection limits ({@link ConnLimits}) and request-head limits ({@link HeadLimits}).
 */
export interface UpgraderOptions extends ConnLimits, HeadLimits {
  /** How long the client has to send its whole request head (raw sockets). Default 10 s. */
  handshakeTimeout?: number;
  /**
   * Decides whether a request's `Origin` is allowed. The default refuses, with 403, a request
   * whose `Origin` host differs from its `Host` (a browser on another site); requests without
   * `Origin` pass. `() => true` accepts every origin.
   */
  checkOrigin?: (request: UpgradeRequest) => boolean;
  /** Subprotocols the server supports, in its order of preference. */
  subprotocols?: readonly string[];
  /** Customises the HTTP error response of a failed handshake (gorilla's `Error`). */
  error?: (failure: HandshakeFailure) => HttpErrorResponse | undefined | void;
  /**
   * Negotiate permessage-deflate (RFC 7692) when the client offers it: `true` for the defaults, or
   * the parameters, level, threshold and zlib memory settings. Off by default.
   */
  enableCompression?: boolean | PerMessageDeflateOptions;
}

/** Options for `Upgrader.handleUpgrade`. */
export interface HandleUpgradeOptions {
  /** Headers to add to the 101 response (`Set-Cookie`, ...). */
  responseHeaders?: HeadersInit;
  /**
   * Called with errors the handler threw (not a peer going away), and with failed handshakes.
   * Default: handler errors are printed on one line with `console.error`; failed handshakes are not.
   */
  onError?: ServerErrorHandler;
}

/** The default `handshakeTimeout` of an `Upgrader`: 10 s for a raw socket's request head. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/**
 * Upgrades HTTP connections to WebSocket connections (gorilla's `Upgrader`): checks the request
 * (RFC 6455 §4.2.1), the origin, negotiates the subprotocol and permessage-deflate, and answers 101
 * or the HTTP error the RFC names.
 *
 * On a `node:http` server, {@link Upgrader.handleUpgrade} runs a handler with the same guarantees
 * as {@link serve}: nothing to catch, the connection closed when the handler returns.
 *
 * @example
 * ```ts
 * const upgrader = new Upgrader({ subprotocols: ['chat'] });
 * httpServer.on('upgrade', (req, socket, head) => {
 *   upgrader.handleUpgrade(req, socket, head, async (conn) => {
 *     for await (const { type, data } of conn) await conn.writeMessage(type, data);
 *   });
 * });
 * ```
 */
export class Upgrader {
  /** The options this upgrader was made with (a copy). */
  readonly options: Readonly<UpgraderOptions>;
  /** @internal permessage-deflate as configured (checked), or null when off: shared by HTTP/1.1 and HTTP/2 accepts. */
  readonly deflate: PerMessageDeflateOptions | null;
  /** @internal The connections' limits, defaults filled in once for all of them. */
  readonly limits: ResolvedConnLimits;
  /** One function for every socket whose request head is refused. */
  private readonly refuseHead: RefuseHead = (socket, err) => this.answerError(socket, err, undefined);

  constructor(options: UpgraderOptions = {}) {
    this.options = { ...options };
    this.limits = resolveConnLimits(options);
    this.deflate = deflateOptionsOf(options.enableCompression);
    if (this.deflate !== null) checkDeflateOptions(this.deflate);
  }

  /**
   * Completes an upgrade from a `node:http` server's `'upgrade'` event. On failure it answers with
   * the HTTP error the RFC names, closes the socket, and rejects with a `HandshakeError`.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, responseHeaders?: HeadersInit): Promise<Conn> {
    try {
      return Promise.resolve(this.accept(this.checkHttp(req, socket, head), responseHeaders));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Completes an upgrade from a `node:http` server's `'upgrade'` event and runs `handler` on the
   * connection, with the guarantees of {@link serve}: when the handler returns, the connection is
   * closed with 1000 after what it wrote; when it throws, with 1011, and the error goes to
   * `onError` (by default one line on stderr); a peer that goes away, cleanly or not, is not an
   * error. A failed handshake is answered with its HTTP error and reported to `onError` only when
   * one is given. The promise settles when the connection is closed, and never rejects.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, handler: ConnHandler, options: HandleUpgradeOptions = {}): Promise<void> {
    let pending: PendingUpgrade;
    try {
      pending = this.checkHttp(req, socket, head);
    } catch (err) {
      return this.handshakeFailed(err, { method: req.method ?? '', url: req.url ?? '/', remoteAddress: remoteAddressOf(socket) }, options);
    }
    return this.handle(pending, handler, options);
  }

  /**
   * Accepts a pending upgrade (from {@link Upgrader.readRequest}) and runs `handler` on the
   * connection, with the guarantees of {@link Upgrader.handleUpgrade}. Never rejects.
   */
  handle(pending: PendingUpgrade, handler: ConnHandler, options: HandleUpgradeOptions = {}): Promise<void> {
    let conn: Conn;
    try {
      conn = this.accept(pending, options.responseHeaders);
    } catch (err) {
      return this.handshakeFailed(err, pending.request, options);
    }
    return runHandler(conn, pending.request, handler, options.onError ?? printServerError);
  }

  /**
   * A handshake answered with its HTTP error already. The default `onError` prints nothing for a
   * `HandshakeError` (a bad request is the client's), but does for a mistake of the caller's, such
   * as a pending upgrade answered twice or response headers that cannot be sent.
   */
  private handshakeFailed(err: unknown, request: RequestSummary, options: HandleUpgradeOptions): Promise<void> {
    reportSafely(options.onError ?? printServerError, err, request);
    return Promise.resolve();
  }

  /**
   * Completes an upgrade offered as an HTTP/2 extended CONNECT stream (RFC 8441), from a Node
   * `http2` server's `'stream'` event: the same checks and options as over HTTP/1.1, 200 on success.
   */
  upgradeStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, responseHeaders?: HeadersInit): Promise<Conn> {
    return upgradeStream(this, stream, headers, responseHeaders);
  }

  /**
   * Reads and parses the request head from a raw `node:net` socket, then completes the upgrade:
   * `readRequest` and `accept` in one step. To look at the request first (its path, its cookies),
   * use those two.
   */
  async upgradeSocket(socket: Duplex, responseHeaders?: HeadersInit): Promise<Conn> {
    return this.accept(await this.readRequest(socket), responseHeaders);
  }

  /**
   * Reads the request head from a raw socket and checks it against §4.2.1, under the handshake
   * timeout and the head-size limits. Bytes after the head are kept as the first WebSocket bytes.
   * On failure it answers with the HTTP error the RFC names, closes the socket, and rejects with a
   * `HandshakeError`.
   *
   * @example
   * ```ts
   * const pending = await upgrader.readRequest(socket);
   * if (!pending.request.url.startsWith('/ws')) return upgrader.refuse(pending, 404, 'not found');
   * const conn = upgrader.accept(pending);
   * ```
   */
  readRequest(socket: Duplex): Promise<PendingUpgrade> {
    const timeout = this.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    // Not an async function: its frame would live through the wait for the head.
    return readRequestHead(socket, this.options, timeout, this.refuseHead).then(({ head, rest }) => this.check(socket, head, rest));
  }

  /**
   * Answers a pending upgrade with 101 and returns the connection, after the origin check,
   * subprotocol selection and permessage-deflate negotiation. On failure (403, or response headers
   * that cannot be sent) it answers with an HTTP error, closes the socket, and throws.
   */
  accept(pending: PendingUpgrade, responseHeaders?: HeadersInit): Conn {
    if (pending.settled) throw new Error('websocket: this upgrade was already accepted or refused');
    pending.settled = true;
    const { socket, info, request } = pending;
    try {
      const { subprotocol, extra } = originAndSubprotocol(this.options, request, info.subprotocols, responseHeaders);
      let extensions: ExtensionOffer[] = [];
      let deflate: NegotiatedDeflate | null = null;
      const agreed = this.deflate === null ? null : acceptDeflateOffer(info.extensions, this.deflate);
      if (agreed !== null) {
        extensions = [agreed.response];
        deflate = { params: agreed.params, options: this.deflate! };
      }
      const response = buildAcceptResponse({ key: info.key, subprotocol, extensions, headers: extra });
      if (socket.destroyed) throw new HandshakeError(400, 'the connection closed during the handshake');
      socket.write(response);
      return new Conn({ role: 'server', socket, head: pending.rest, deflate, subprotocol, limits: this.limits });
    } catch (err) {
      const failure =
        err instanceof HandshakeError ? err : new HandshakeError(500, err instanceof Error ? err.message : String(err));
      this.answerError(socket, failure, request);
      throw err instanceof InvalidHeaderError ? err : failure;
    }
  }

  /**
   * Refuses a pending upgrade with an HTTP error (through the `error` option, if set) and closes
   * the socket.
   */
  refuse(pending: PendingUpgrade, status: number, message = STATUS_TEXT[status] ?? 'refused', headers: HeadersInit = []): void {
    if (pending.settled) throw new Error('websocket: this upgrade was already accepted or refused');
    pending.settled = true;
    this.answerError(pending.socket, new HandshakeError(status, message, headerEntries(headers)), pending.request);
  }

  /** The head node:http parsed, checked as ours would be. */
  private checkHttp(req: IncomingMessage, socket: Duplex, head: Buffer): PendingUpgrade {
    const requestHead: RequestHead = {
      method: req.method ?? '',
      target: req.url ?? '/',
      versionMajor: req.httpVersionMajor,
      versionMinor: req.httpVersionMinor,
      headers: headersFromRawHeaders(req.rawHeaders),
    };
    return this.check(socket, requestHead, head, req);
  }

  /** Checks a parsed head (§4.2.1); refuses and throws a `HandshakeError` when it is not a valid upgrade. */
  private check(socket: Duplex, head: RequestHead, rest: Buffer, httpRequest?: IncomingMessage): PendingUpgrade {
    let info: UpgradeRequestInfo;
    try {
      info = validateUpgradeRequest(head);
    } catch (err) {
      const failure = err instanceof HandshakeError ? err : new HandshakeError(400, String(err));
      this.answerError(socket, failure, undefined);
      throw failure;
    }
    const request: UpgradeRequest = {
      method: head.method,
      url: head.target,
      headers: head.headers,
      host: info.host,
      origin: info.origin,
      subprotocols: info.subprotocols,
      // Read when asked: reading it makes Node keep the peer's address on the socket for good
      // (an object and a string for every connection, idle ones included).
      get remoteAddress() {
        return remoteAddressOf(socket);
      },
      ...(httpRequest !== undefined ? { httpRequest } : {}),
    };
    return new PendingUpgrade(socket, request, info, rest);
  }

  /** Answers a failed handshake with an HTTP error and closes the socket. */
  private answerError(socket: Duplex, err: HandshakeError, request: UpgradeRequest | undefined): void {
    if (socket.destroyed) return;
    const { status, headers, body } = refusalFor(this.options.error, err, request);
    let response: Buffer;
    try {
      response = buildErrorResponse(status, body, headers);
    } catch {
      response = buildErrorResponse(status, err.message, err.headers);
    }
    endGracefully(socket, response);
  }
}

/** Writes a last response and closes: FIN first, a hard close if the peer lingers. */
export function endGracefully(socket: Duplex, response: Buffer): void {
  socket.end(response);
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // The peer may still be sending; read and drop it so the close is not reset.
  socket.on('error', () => {});
  socket.resume();
}

function remoteAddressOf(socket: Duplex): string | undefined {
  return (socket as { remoteAddress?: string }).remoteAddress;
}

function headersFromRawHeaders(raw: readonly string[]): HttpHeaders {
  const headers = new HttpHeaders();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}
