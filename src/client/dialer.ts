/**
 * The client side bound to sockets (gorilla's `Dialer`): opens a TCP connection (`ws:`) or a TLS
 * one (`wss:`), directly or through an HTTP proxy, sends the upgrade request (RFC 6455 §4.1),
 * checks the answer, follows redirects when asked to, and hands the socket to a client `Conn`.
 */
import { Buffer } from 'node:buffer';
import { type LookupFunction, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { Conn } from '../connection/conn.js';
import { type ResolvedConnLimits, resolveConnLimits } from '../connection/conn-init.js';
import { type ConnLimits, type PerMessageDeflateOptions, deflateOptionsOf } from '../options.js';
import { checkDeflateOptions } from '../protocol/deflate-negotiation.js';
import { InvalidUrlError } from './dial-errors.js';
import { type NegotiatedSettings, negotiateExtensions } from './dial-extensions.js';
import { type HeaderLines, dialerHeaders, hasHeader, mergeHeaderLines, withoutHostBoundHeaders } from './dial-headers.js';
import { DEFAULT_HTTP2_IDLE_TIMEOUT, type Http2Mode, attemptHttp2 } from './dial-http2.js';
import { DialSession } from './dial-session.js';
import { type DialTarget, parseDialUrl } from './dial-url.js';
import { type ProxyOption, resolveProxy } from './proxy.js';
import { openTunnel } from './proxy-tunnel.js';
import { buildUpgradeRequest, validateUpgradeResponse } from '../protocol/client-handshake.js';
import { BadHandshakeError } from '../protocol/errors.js';
import { generateKey } from '../protocol/handshake.js';
import type { HeadersInit, HttpHeaders } from '../protocol/headers.js';
import type { HeadLimits, ResponseHead } from '../protocol/http-head.js';

/**
 * How a `Dialer` connects: timeouts, subprotocols, headers, TLS, proxy, redirects, compression, and
 * the connection limits ({@link ConnLimits}) and response-head limits ({@link HeadLimits}).
 */
export interface DialerOptions extends ConnLimits, HeadLimits {
  /**
   * Most milliseconds for the whole dial: DNS, TCP, proxy, TLS, the handshake and any redirects.
   * Default 30 s ({@link DEFAULT_DIAL_TIMEOUT}); 0 for none. Past it the dial fails with
   * `DialTimeoutError`.
   */
  handshakeTimeout?: number;
  /** Subprotocols to offer, in order of preference (`Sec-WebSocket-Protocol`). */
  subprotocols?: readonly string[];
  /** Extra request headers for every dial (cookies, authorization, ...). */
  headers?: HeadersInit;
  /** The `Origin` header. Not sent unless set. */
  origin?: string;
  /**
   * Options for `tls.connect` (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`, ...). The
   * server's certificate is verified against the URL's host unless you turn that off.
   */
  tls?: Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'path'>;
  /**
   * An HTTP proxy (`http://user:pass@proxy:3128`), reached with CONNECT, or a function choosing
   * one per URL, such as {@link proxyFromEnvironment}. Default: no proxy.
   */
  proxy?: ProxyOption;
  /** Follow 301, 302, 307 and 308 answers to the upgrade request. Default false. */
  followRedirects?: boolean;
  /** Most redirects followed in one dial. Default 10. */
  maxRedirects?: number;
  /** A DNS lookup to use instead of `dns.lookup` (as `net.connect`'s option). */
  lookup?: LookupFunction;
  /**
   * Offer permessage-deflate (RFC 7692): `true` for the defaults, or the parameters, level,
   * threshold and zlib memory settings. Off by default. A server may decline; an invalid answer
   * fails the dial with `BadHandshakeError`.
   */
  enableCompression?: boolean | PerMessageDeflateOptions;
  /**
   * WebSockets over HTTP/2 (RFC 8441). `'auto'`: over TLS, offer h2 by ALPN and open the WebSocket
   * as a stream of a shared session when the server enables extended CONNECT, else use HTTP/1.1.
   * `true`: require it (h2c by prior knowledge for `ws:`), failing with `Http2UnsupportedError`.
   * `false` (the default): HTTP/1.1 only. Not used through a proxy.
   */
  http2?: Http2Mode;
  /** How long an HTTP/2 session with no WebSocket left stays open for the next dial. Default 5 s. */
  http2IdleTimeout?: number;
}

/** Options for one `Dialer.dial()` call. */
export interface DialOptions {
  /** Headers for this dial; they replace the dialer's headers of the same name. */
  headers?: HeadersInit;
  /** Cancels the dial at whatever stage it is; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The server's answer to the upgrade request (gorilla returns the `*http.Response`). */
export interface DialResponse {
  /** The HTTP status: 101 for an accepted upgrade. */
  status: number;
  /** The reason phrase, e.g. `Switching Protocols`. */
  statusText: string;
  /** The response headers (`Set-Cookie`, `Sec-WebSocket-Protocol`, ...). */
  headers: HttpHeaders;
  /** The URL that answered, after any redirects (without credentials). */
  url: string;
}

/** What a successful `Dialer.dial()` resolves with. */
export interface DialResult {
  /** The open connection (client side: its frames are masked). */
  conn: Conn;
  /** The server's 101 response. */
  response: DialResponse;
}

/** The default `handshakeTimeout` of a `Dialer`: 30 s for the whole dial. */
export const DEFAULT_DIAL_TIMEOUT = 30_000;
/** The default `maxRedirects` of a `Dialer` (redirects are followed only with `followRedirects`). */
export const DEFAULT_MAX_REDIRECTS = 10;

/** RFC 9110 §15.4: the redirects that keep the request as it is (303 asks for a different resource). */
const REDIRECT_STATUSES = new Set([301, 302, 307, 308]);

type Attempt =
  | { kind: 'open'; socket: Duplex; head: ResponseHead; rest: Buffer; subprotocol: string; settings: NegotiatedSettings }
  | { kind: 'redirect'; head: ResponseHead; location: string };

/**
 * Opens WebSocket connections to servers. One dialer may dial many times, concurrently.
 *
 * @example
 * ```ts
 * const dialer = new Dialer({ subprotocols: ['chat'] });
 * const { conn } = await dialer.dial('wss://example.com/socket');
 * await conn.writeMessage(TextMessage, 'hello');
 * const { data } = await conn.readMessage();
 * await conn.close();
 * ```
 */
export class Dialer {
  /** The options this dialer was made with (a copy). */
  readonly options: Readonly<DialerOptions>;
  private readonly headerLines: HeaderLines;
  private readonly deflate: PerMessageDeflateOptions | null;
  /** The connections' limits, defaults filled in once for every dial. */
  private readonly limits: ResolvedConnLimits;

  /** Throws `InvalidHeaderError` or `RangeError` on options that could never work. */
  constructor(options: DialerOptions = {}) {
    this.options = { ...options };
    this.limits = resolveConnLimits(options);
    const timeout = options.handshakeTimeout;
    if (timeout !== undefined && !(timeout >= 0)) throw new RangeError('handshakeTimeout must be 0 or more milliseconds');
    const redirects = options.maxRedirects;
    if (redirects !== undefined && !(Number.isInteger(redirects) && redirects >= 0)) throw new RangeError('maxRedirects must be an integer, 0 or more');
    this.headerLines = dialerHeaders(options.headers, options.origin);
    this.deflate = deflateOptionsOf(options.enableCompression);
    if (this.deflate !== null) checkDeflateOptions(this.deflate);
    // Fail now on subprotocols that are not tokens, rather than at every dial.
    buildUpgradeRequest({ target: '/', host: 'example', key: generateKey(), subprotocols: options.subprotocols ?? [] });
  }

  /**
   * Opens a connection to `url` (`ws:` or `wss:`; `http:`/`https:` are taken as those). Rejects
   * with `BadHandshakeError` when the server refuses or answers wrongly (with its status, headers
   * and the first bytes of its body), `DialError` when the connection cannot be opened,
   * `ProxyConnectError`, `DialTimeoutError`, `InvalidUrlError`, `InvalidHeaderError`, or the
   * signal's reason when aborted. A failed dial leaves no socket open.
   */
  async dial(url: string | URL, options: DialOptions = {}): Promise<DialResult> {
    let target = parseDialUrl(url);
    let headers = mergeHeaderLines(this.headerLines, options.headers);
    const session = new DialSession(this.options.handshakeTimeout ?? DEFAULT_DIAL_TIMEOUT, options.signal);
    try {
      session.throwIfAborted();
      const maxRedirects = this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
      for (let redirects = 0; ; redirects++) {
        const attempt = await this.attempt(session, target, headers);
        if (attempt.kind === 'open') {
          session.handOver(attempt.socket);
          // The settings: the negotiated deflate, and over HTTP/2 the stream's transport and abort.
          const conn = new Conn({ ...attempt.settings, role: 'client', socket: attempt.socket, head: attempt.rest, subprotocol: attempt.subprotocol, limits: this.limits });
          const { head } = attempt;
          return { conn, response: { status: head.status, statusText: head.reason, headers: head.headers, url: withoutCredentials(target.url) } };
        }
        if (redirects >= maxRedirects) throw badHandshake(`too many redirects (more than ${maxRedirects})`, attempt.head);
        const next = redirectTarget(attempt.location, target, attempt.head);
        if (leavesHost(target, next)) headers = withoutHostBoundHeaders(headers);
        target = next;
      }
    } catch (err) {
      session.fail();
      throw err;
    }
  }

  /** One connection and one upgrade request: a connection, a redirect to follow, or a throw. */
  private async attempt(session: DialSession, target: DialTarget, headers: HeaderLines): Promise<Attempt> {
    const options = this.options;
    const proxy = resolveProxy(options.proxy, target.url);
    if (options.http2 !== undefined && options.http2 !== false) {
      const overHttp2 = await attemptHttp2(session, target, withUrlCredentials(headers, target), {
        mode: options.http2,
        proxied: proxy !== null,
        tls: target.secure ? this.tlsOptions(target) : {},
        tlsIdentity: options.tls,
        lookup: options.lookup,
        timeout: options.handshakeTimeout ?? DEFAULT_DIAL_TIMEOUT,
        idleTimeout: options.http2IdleTimeout ?? DEFAULT_HTTP2_IDLE_TIMEOUT,
        subprotocols: options.subprotocols ?? [],
        extensions: negotiateExtensions(this.deflate),
        followRedirects: options.followRedirects === true,
      });
      if (overHttp2 !== null) return overHttp2;
    }
    let socket: Duplex =
      proxy === null
        ? await session.connectTcp(target.hostname, target.port, options.lookup)
        : await openTunnel(session, proxy, target.hostname, target.port, options, options.lookup);
    if (target.secure) socket = await session.startTls(socket, this.tlsOptions(target));

    const key = generateKey();
    const subprotocols = options.subprotocols ?? [];
    const extensions = negotiateExtensions(this.deflate);
    const request = buildUpgradeRequest({
      target: target.target,
      host: target.host,
      key,
      subprotocols,
      extensions: extensions.offers,
      headers: withUrlCredentials(headers, target),
    });
    const { head, rest } = await session.request(socket, 'handshake', request, options, {
      malformed: (err) => new BadHandshakeError(`websocket: bad handshake: malformed response: ${err.message}`),
      closed: () => new BadHandshakeError('websocket: bad handshake: the connection closed before the response'),
    });

    if (options.followRedirects === true && REDIRECT_STATUSES.has(head.status)) {
      const locations = head.headers.getAll('location');
      if (locations.length !== 1) throw badHandshake(`redirect ${head.status} without a single Location header`, head);
      session.discard(socket);
      return { kind: 'redirect', head, location: locations[0]! };
    }
    if (head.status !== 101) {
      const body = await session.readBodyPrefix(socket, head, rest);
      session.discard(socket);
      throw badHandshake(`unexpected status ${head.status} ${head.reason}`.trim(), head, body);
    }
    const accepted = validateUpgradeResponse(head, { key, subprotocols, extensions: extensions.offers.map((e) => e.name) });
    const settings = extensions.accept(accepted.extensions, head);
    return { kind: 'open', socket, head, rest, subprotocol: accepted.subprotocol, settings };
  }

  private tlsOptions(target: DialTarget): ConnectionOptions {
    const tls = this.options.tls ?? {};
    // SNI carries a host name, never an IP address (RFC 6066 §3); the certificate is checked against `host`.
    const servername = tls.servername ?? (isIP(target.hostname) === 0 ? target.hostname : undefined);
    return { ...tls, host: target.hostname, ...(servername !== undefined ? { servername } : {}) };
  }
}

function badHandshake(message: string, head: ResponseHead, body?: Buffer): BadHandshakeError {
  return new BadHandshakeError(`websocket: bad handshake: ${message}`, head.status, head.headers, body);
}

/** Credentials in the URL become Basic authorization (RFC 7617), unless a header sets it. */
function withUrlCredentials(headers: HeaderLines, target: DialTarget): HeaderLines {
  const credentials = target.credentials;
  if (credentials === undefined || hasHeader(headers, 'authorization')) return headers;
  const token = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  return [...headers, ['Authorization', `Basic ${token}`]];
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function redirectTarget(location: string, from: DialTarget, head: ResponseHead): DialTarget {
  try {
    return parseDialUrl(location, from.url);
  } catch (err) {
    if (err instanceof InvalidUrlError) throw badHandshake(`cannot follow the redirect to ${JSON.stringify(location)}: ${err.message}`, head);
    throw err;
  }
}

/** Whether credentials meant for `from` must not go to `to`: another host or port, or TLS given up. */
function leavesHost(from: DialTarget, to: DialTarget): boolean {
  return from.hostname.toLowerCase() !== to.hostname.toLowerCase() || from.port !== to.port || (from.secure && !to.secure);
}
