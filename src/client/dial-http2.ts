/**
 * The client side of RFC 8441: a WebSocket opened as a stream of a pooled HTTP/2 session. Over
 * TLS the session is offered `h2` by ALPN; once the server's SETTINGS enable extended CONNECT
 * (§3), the dial sends `:method CONNECT` with `:protocol websocket` (§4) and a 2xx opens the
 * WebSocket (§5). When the server does not offer it, `'auto'` falls back to HTTP/1.1 (this returns
 * null) and `true` fails with `Http2UnsupportedError`.
 */
import { Buffer } from 'node:buffer';
import { type ClientHttp2Stream, type IncomingHttpHeaders, constants } from 'node:http2';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { type StreamTransport, streamTransport } from '../connection-h2/stream-socket.js';
import { BadHandshakeError } from '../protocol/errors.js';
import { buildConnectRequest, regularHeaders, validateConnectResponse } from '../protocol/h2-handshake.js';
import type { ResponseHead } from '../protocol/http-head.js';
import { HANDSHAKE_BODY_LIMIT, HANDSHAKE_BODY_WAIT } from './dial-body.js';
import { DialError, Http2UnsupportedError } from './dial-errors.js';
import type { ExtensionNegotiation, NegotiatedSettings } from './dial-extensions.js';
import type { HeaderLines } from './dial-headers.js';
import type { DialSession } from './dial-session.js';
import type { DialTarget } from './dial-url.js';
import { type Http2SessionPool, defaultSessionPool } from './http2-session-pool.js';

/** The `http2` option of a `Dialer`. */
export type Http2Mode = 'auto' | boolean;

/** Default `http2IdleTimeout`: how long a session with no WebSocket left stays open. */
export const DEFAULT_HTTP2_IDLE_TIMEOUT = 5_000;

export interface Http2DialContext {
  mode: Http2Mode;
  /** A proxy is in use: HTTP/2 is not tunnelled (yet). */
  proxied: boolean;
  tls: ConnectionOptions;
  /** The dialer's own `tls` option object: dials with the same one share sessions. */
  tlsIdentity: object | undefined;
  lookup: LookupFunction | undefined;
  timeout: number;
  idleTimeout: number;
  subprotocols: readonly string[];
  extensions: ExtensionNegotiation;
  followRedirects: boolean;
  pool?: Http2SessionPool;
}

export type Http2Attempt =
  | { kind: 'open'; socket: Duplex; head: ResponseHead; rest: Buffer; subprotocol: string; settings: NegotiatedSettings & Omit<StreamTransport, 'socket'> }
  | { kind: 'redirect'; head: ResponseHead; location: string };

const REDIRECTS = new Set([301, 302, 307, 308]);

/** One WebSocket over HTTP/2, or null to dial over HTTP/1.1 instead. */
export async function attemptHttp2(dial: DialSession, target: DialTarget, headers: HeaderLines, ctx: Http2DialContext): Promise<Http2Attempt | null> {
  if (ctx.mode === false) return null;
  if (ctx.proxied || (!target.secure && ctx.mode === 'auto')) {
    if (ctx.mode === true) throw new Http2UnsupportedError(`websocket: HTTP/2 is not used ${ctx.proxied ? 'through a proxy' : 'for ws: URLs in auto mode'}`);
    return null;
  }
  const pool = ctx.pool ?? defaultSessionPool;
  const key = poolKey(target, ctx);
  const pooled = await untilAborted(
    dial.signal,
    pool.acquire(key, {
      secure: target.secure,
      hostname: target.hostname,
      port: target.port,
      tls: ctx.tls,
      lookup: ctx.lookup,
      offerHttp1: ctx.mode === 'auto',
      timeout: ctx.timeout > 0 ? ctx.timeout : 30_000,
      idleTimeout: ctx.idleTimeout,
    }),
  );
  if (pooled === null) {
    if (ctx.mode === 'auto') return null;
    throw new Http2UnsupportedError(`websocket: ${target.url.host} does not offer WebSockets over HTTP/2 (RFC 8441)`);
  }

  let authority = target.host;
  const extra: HeaderLines = [];
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'host') authority = value; // Host is :authority in HTTP/2
    else extra.push([name, value]);
  }
  const request = buildConnectRequest({
    scheme: target.secure ? 'https' : 'http',
    authority,
    path: target.target,
    subprotocols: ctx.subprotocols,
    extensions: ctx.extensions.offers,
    headers: extra,
  });
  let stream: ClientHttp2Stream;
  try {
    stream = pooled.open(request);
  } catch (err) {
    // The session went away between the pool's answer and this request (GOAWAY, idle close).
    throw new DialError('handshake', `websocket: the HTTP/2 session cannot take a new stream: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  stream.on('error', ignoreError);
  try {
    const response = await untilAborted(dial.signal, responseOf(stream));
    const status = Number(response[':status']);
    const head: ResponseHead = { versionMajor: 2, versionMinor: 0, status, reason: '', headers: regularHeaders(response) };
    if (ctx.followRedirects && REDIRECTS.has(status)) {
      const locations = head.headers.getAll('location');
      if (locations.length !== 1) throw new BadHandshakeError(`websocket: bad handshake: redirect ${status} without a single location header`, status, head.headers);
      stream.close();
      return { kind: 'redirect', head, location: locations[0]! };
    }
    if (status < 200 || status > 299) {
      const body = await bodyPrefix(stream);
      throw new BadHandshakeError(`websocket: bad handshake: unexpected status ${status}`, status, head.headers, body);
    }
    const accepted = validateConnectResponse(status, head.headers, { subprotocols: ctx.subprotocols, extensions: ctx.extensions.offers.map((e) => e.name) });
    const settings = ctx.extensions.accept(accepted.extensions, head);
    stream.off('error', ignoreError);
    const { socket, ...transport } = streamTransport(stream);
    return { kind: 'open', socket, head, rest: Buffer.alloc(0), subprotocol: accepted.subprotocol, settings: { ...settings, ...transport } };
  } catch (err) {
    // RFC 8441 §6: giving up on the stream resets it with CANCEL; the session stays for others.
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    throw err;
  }
}

/** Sessions are shared by dials to the same origin with the same TLS options and DNS lookup. */
function poolKey(target: DialTarget, ctx: Http2DialContext): string {
  return `${target.secure ? 'https' : 'http'}://${target.hostname}:${target.port}|${identity(ctx.tlsIdentity)}|${identity(ctx.lookup)}`;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;
function identity(value: object | undefined): number {
  if (value === undefined) return 0;
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = nextIdentity++));
  return id;
}

function responseOf(stream: ClientHttp2Stream): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new DialError('handshake', `websocket: the stream closed before the response (code ${stream.rstCode ?? 0})`));
    stream.once('close', onClose);
    stream.once('response', (headers) => {
      stream.off('close', onClose);
      resolve(headers);
    });
  });
}

/** The first bytes of a refusal's body, as `BadHandshakeError.body` carries over HTTP/1.1. */
function bodyPrefix(stream: ClientHttp2Stream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (): void => {
      clearTimeout(wait);
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('close', done);
      resolve(Buffer.concat(chunks).subarray(0, HANDSHAKE_BODY_LIMIT));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= HANDSHAKE_BODY_LIMIT) done();
    };
    const wait = setTimeout(done, HANDSHAKE_BODY_WAIT);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
  });
}

/** `promise`, or the dial's abort reason (cancellation or the handshake timeout) if that comes first. */
function untilAborted<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function ignoreError(): void {}
