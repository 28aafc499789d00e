/**
 * A WebSocket-only server on raw `node:net`: no HTTP server, the request head is parsed by the
 * protocol core. Requests that are not WebSocket upgrades get 426, other paths 404.
 */
import type { Server } from 'node:net';
import type { Conn } from '../connection/conn.js';
import { CloseGoingAway, CloseInternalServerErr } from '../protocol/close.js';
import { HandshakeError } from '../protocol/errors.js';
import { acceptStream, readStreamRequest, refuseStream } from './http2.js';
import { type TransportOptions, createTransportServer } from './serve-transport.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type UpgradeRequest, Upgrader, type UpgraderOptions } from './upgrader.js';

/**
 * Options for {@link serve}. With `tls` it serves `wss:`; with `http2` the same port also takes
 * WebSockets as HTTP/2 streams (RFC 8441), beside HTTP/1.1 upgrades unless `allowHTTP1` is false.
 */
export interface ServeOptions extends TransportOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Only this path (query ignored) is served; others get 404. Default: every path. */
  path?: string;
  /** The upgrader, or options for one. */
  upgrader?: Upgrader | UpgraderOptions;
  /**
   * Called with errors a handler threw, and with failed handshakes. Default: handler errors are
   * printed with `console.error`; failed handshakes (a fact of life on the internet) are not.
   */
  onError?: (err: unknown, request?: RequestSummary) => void;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

/**
 *  Promise<void>;|Called by {@link serve} with each new connection and the request that opened it. If
 * it throws (or rejects), the error goes to `onError` and the connection is closed with 1011.
 */
export type ConnHandler = (conn: Conn, request: UpgradeRequest) => void | Promise<void>;

/** What `onError` learns of the request behind a failed handler (not the whole request, which is not kept). */
export type RequestSummary = Pick<UpgradeRequest, 'method' | 'url' | 'remoteAddress'>;

/** A running WebSocket server from {@link serve}. */
export class WebSocketServer {
  /** The underlying `node:net` server. */
  readonly netServer: Server;
  /** The port actually bound. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  private readonly live = new Set<Conn>();
  private closing: Promise<void> | null = null;
  private readonly secure: boolean;
  private readonly closeSessions: () => void;

  /** @internal */
  constructor(netServer: Server, host: string, port: number, secure = false, closeSessions: () => void = () => {}) {
    this.netServer = netServer;
    this.host = host;
    this.port = port;
    this.secure = secure;
    this.closeSessions = closeSessions;
  }

  /** `ws://host:port` (`wss://` with TLS), with IPv6 hosts in brackets. */
  get url(): string {
    return `${this.secure ? 'wss' : 'ws'}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Connections currently open. */
  get connections(): ReadonlySet<Conn> {
    return this.live;
  }

  /** @internal */
  track(conn: Conn): void {
    this.live.add(conn);
    conn.onClosed(() => this.live.delete(conn));
  }

  /**
   * Stops accepting, closes every open connection with a closing handshake (1001 by default),
   * and resolves when all of them are closed.
   */
  close(code = CloseGoingAway, reason = 'server shutting down'): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.netServer.close(() => resolve());
      this.closeSessions();
      for (const conn of this.live) void conn.close(code, reason).catch(() => conn.closeNow());
    }).then(() => Promise.all([...this.live].map((c) => c.closed)).then(() => undefined));
    return this.closing;
  }
}

/** Shared by every socket still in its handshake (one function, not a closure per socket). */
function ignoreError(): void {}

/**
 * Runs a WebSocket server on raw `node:net`, calling `handler` for each connection.
 *
 * @example
 * ```ts
 * const server = await serve({ port: 8080, path: '/ws' }, async (conn) => {
 *   for await (const { type, data } of conn) await conn.writeMessage(type, data);
 * });
 * console.log(`listening on ${server.url}`);
 * ```
 */
export function serve(options: ServeOptions, handler: ConnHandler): Promise<WebSocketServer> {
  const upgrader = options.upgrader instanceof Upgrader ? options.upgrader : new Upgrader(options.upgrader);
  const host = options.host ?? '127.0.0.1';
  const report = options.onError ?? ((err: unknown) => {
    if (!(err instanceof HandshakeError)) console.error('rfc6455: connection handler failed:', err);
  });
  let server: WebSocketServer | null = null;

  const start = (conn: Conn, request: UpgradeRequest): void => {
    server?.track(conn);
    let handled: void | Promise<void>;
    try {
      handled = handler(conn, request);
    } catch (err) {
      handled = Promise.reject(err);
    }
    if (handled instanceof Promise) {
      // Only a summary is kept for the report: the request and its headers may go once the
      // handler is done with them.
      const summary: RequestSummary = { method: request.method, url: request.url, remoteAddress: request.remoteAddress };
      handled.catch((err: unknown) => {
        report(err, summary);
        void conn.close(CloseInternalServerErr, 'internal error').catch(() => conn.closeNow());
      });
    }
  };
  const wrongPath = (url: string): boolean => options.path !== undefined && url.split('?')[0] !== options.path;

  const transport = createTransportServer(
    { ...options, handshakeTimeout: upgrader.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT },
    (socket) => {
      // Failures surface through the handshake or the connection, which listens for errors itself.
      socket.on('error', ignoreError);
      // Promise chains rather than an async function, which would stay alive (with its generator)
      // for as long as each connection lasts.
      upgrader.readRequest(socket).then(
        (pending) => {
          const { request } = pending;
          if (wrongPath(request.url)) {
            upgrader.refuse(pending, 404, 'not found');
            throw new HandshakeError(404, 'not found');
          }
          const conn = upgrader.accept(pending);
          socket.off('error', ignoreError);
          start(conn, request);
        },
      ).catch((err: unknown) => report(err));
    },
    (stream, headers) => {
      // RFC 8441: the same checks, answers and handler, one stream of an HTTP/2 session.
      try {
        const pending = readStreamRequest(upgrader, stream, headers);
        if (wrongPath(pending.request.url)) {
          refuseStream(upgrader, pending, 404, 'not found');
          throw new HandshakeError(404, 'not found');
        }
        start(acceptStream(upgrader, pending), pending.request);
      } catch (err) {
        report(err);
      }
    },
  );
  const netServer = transport.server;

  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    netServer.once('error', onError);
    netServer.listen(options.port ?? 0, host, () => {
      netServer.off('error', onError);
      const address = netServer.address();
      const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
      server = new WebSocketServer(netServer, host, port, transport.secure, () => transport.closeSessions());
      const signal = options.signal;
      if (signal !== undefined) {
        if (signal.aborted) void server.close();
        else signal.addEventListener('abort', () => void server?.close(), { once: true });
      }
      resolve(server);
    });
  });
}
