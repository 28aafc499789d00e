/**
 * A WebSocket-only server on raw `node:net` (or TLS): no HTTP server, the request head is parsed
 * by the protocol core. Requests that are not WebSocket upgrades get 426, other paths 404. With
 * `http2`, the same port also takes WebSockets as HTTP/2 streams (RFC 8441).
 */
import type { Server, Socket } from 'node:net';
import type { Conn } from '../connection/conn.js';
import { CloseGoingAway } from '../protocol/close.js';
import type { CloseInfo } from '../protocol/ending.js';
import { HandshakeError } from '../protocol/errors.js';
import { acceptStream, readStreamRequest, refuseStream } from './http2.js';
import { listenError } from './listen-error.js';
import { type ConnHandler, type ServerErrorHandler, printServerError, reportSafely, runHandler } from './run-handler.js';
import { type TransportOptions, createTransportServer } from './serve-transport.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type UpgradeRequest, Upgrader, type UpgraderOptions } from './upgrader.js';

export type { ConnHandler, RequestSummary, ServerErrorHandler } from './run-handler.js';

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
   * Called with errors a handler threw, and with failed handshakes; never with a peer going away
   * (a close with any code, a dropped TCP connection, a protocol violation already answered).
   * Default: handler errors are printed on one line, without a stack, with `console.error`;
   * failed handshakes (a fact of life on the internet) are not.
   */
  onError?: ServerErrorHandler;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

/** A running WebSocket server from {@link serve}. */
export class WebSocketServer {
  /** The underlying `node:net` server. */
  readonly netServer: Server;
  /** The port actually bound. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** The only path it serves, or undefined when it serves every path. */
  readonly path: string | undefined;
  private readonly live = new Set<Conn>();
  /** Sockets still in their opening handshake: not connections yet, but a shutdown must not wait on them. */
  private readonly handshaking = new Set<Socket>();
  private closing: Promise<void> | null = null;
  private readonly afterClose: Array<() => void> = [];
  private readonly secure: boolean;
  private readonly closeSessions: () => void;

  /** @internal */
  constructor(netServer: Server, host: string, port: number, path?: string, secure = false, closeSessions: () => void = () => {}) {
    this.netServer = netServer;
    this.host = host;
    this.port = port;
    this.path = path;
    this.secure = secure;
    this.closeSessions = closeSessions;
  }

  /**
   * The URL to dial: `ws://host:port` (`wss://` with TLS) and the `path` option when there is one,
   * with IPv6 hosts in brackets.
   */
  get url(): string {
    return `${this.secure ? 'wss' : 'ws'}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}${this.path ?? ''}`;
  }

  /** Connections currently open. */
  get connections(): ReadonlySet<Conn> {
    return this.live;
  }

  /** @internal A socket begins its opening handshake; false when the server is shutting down (it is dropped). */
  handshakeStarted(socket: Socket): boolean {
    if (this.closing !== null) {
      socket.destroy();
      return false;
    }
    this.handshaking.add(socket);
    return true;
  }

  /** @internal The handshake is over, one way or the other. */
  handshakeEnded(socket: Socket): void {
    this.handshaking.delete(socket);
  }

  /** @internal The handshake failed: true when that is because the server shut down and dropped it. */
  handshakeEndedByShutdown(socket: Socket): boolean {
    const byShutdown = this.closing !== null && !this.handshaking.has(socket);
    this.handshaking.delete(socket);
    return byShutdown;
  }

  /** @internal Runs `fn` once the server is closing (to let go of an AbortSignal, for one). */
  onClosing(fn: () => void): void {
    if (this.closing !== null) fn();
    else this.afterClose.push(fn);
  }

  /** One function for every connection: no closure kept per connection. */
  private readonly untrack = (_info: CloseInfo, conn: Conn): void => {
    this.live.delete(conn);
  };

  /** @internal */
  track(conn: Conn): void {
    this.live.add(conn);
    conn.onClosed(this.untrack);
  }

  /**
   * Stops accepting, closes every open connection with a closing handshake (1001 by default),
   * and resolves when all of them are closed.
   */
  close(code = CloseGoingAway, reason = 'server shutting down'): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.netServer.close(() => resolve());
      // A socket still sending its request head is no WebSocket yet: it is dropped, not waited for.
      for (const socket of this.handshaking) socket.destroy();
      this.handshaking.clear();
      this.closeSessions();
      for (const conn of this.live) void conn.close(code, reason).catch(() => conn.closeNow());
      for (const fn of this.afterClose.splice(0)) fn();
    }).then(() => Promise.all([...this.live].map((c) => c.closed)).then(() => undefined));
    return this.closing;
  }
}

/** Shared by every socket still in its handshake (one function, not a closure per socket). */
function ignoreError(): void {}

/**
 * Runs a WebSocket server on raw `node:net`, calling `handler` for each connection. When the
 * handler returns, the connection is closed with 1000 after what it wrote; when it throws, with
 * 1011, and the error goes to `onError`. A peer that goes away is not an error: no `try` is
 * needed to keep the process alive. Rejects with one clear error when the port cannot be bound
 * (`EADDRINUSE`: which port, and how to pick another).
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
  const report = options.onError ?? printServerError;
  let server: WebSocketServer | null = null;
  const wrongPath = (url: string): boolean => options.path !== undefined && url.split('?')[0] !== options.path;
  const start = (conn: Conn, request: UpgradeRequest): void => {
    server?.track(conn);
    void runHandler(conn, request, handler, report);
  };

  const transport = createTransportServer(
    { ...options, handshakeTimeout: upgrader.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT },
    (socket) => {
      // Failures surface through the handshake or the connection, which listens for errors itself.
      socket.on('error', ignoreError);
      if (server !== null && !server.handshakeStarted(socket)) return;
      // Promise chains rather than an async function, which would stay alive (with its generator)
      // for as long as each connection lasts.
      upgrader.readRequest(socket).then(
        (pending) => {
          server?.handshakeEnded(socket);
          const { request } = pending;
          if (wrongPath(request.url)) {
            upgrader.refuse(pending, 404, 'not found');
            throw new HandshakeError(404, 'not found');
          }
          const conn = upgrader.accept(pending);
          socket.off('error', ignoreError);
          start(conn, request);
        },
      ).catch((err: unknown) => {
        // A socket dropped because the server is shutting down is no error of anyone's.
        if (server?.handshakeEndedByShutdown(socket) === true) return;
        reportSafely(report, err);
      });
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
        reportSafely(report, err);
      }
    },
  );
  const netServer = transport.server;

  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(err, host, options.port ?? 0, 'the port option'));
    netServer.once('error', onError);
    netServer.listen(options.port ?? 0, host, () => {
      netServer.off('error', onError);
      const address = netServer.address();
      const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
      server = new WebSocketServer(netServer, host, port, options.path, transport.secure, () => transport.closeSessions());
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => void server?.close();
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          server.onClosing(() => signal.removeEventListener('abort', onAbort));
        }
      }
      resolve(server);
    });
  });
}
