/**
 * The listening side of `serve()`: plain TCP as before, or TLS, and with `http2` the same port
 * also serves WebSockets over HTTP/2 (RFC 8441). Over TLS, ALPN picks `h2` or `http/1.1`; over
 * cleartext, a connection that opens with the HTTP/2 preface is h2c (prior knowledge), any other
 * is HTTP/1.1. Only this server's sessions advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL` (§3), and
 * it does handle the CONNECT streams.
 */
import { Buffer } from 'node:buffer';
import { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream, createServer as createHttp2Server } from 'node:http2';
import { type Server, type Socket, createServer as createNetServer } from 'node:net';
import { H2_SESSION_WINDOW, H2_STREAM_WINDOW } from '../connection-h2/windows.js';
import { type TlsOptions, type TLSSocket, createServer as createTlsServer } from 'node:tls';

/** How `serve()` listens. */
export interface TransportOptions {
  /** Serve WebSockets over HTTP/2 streams (RFC 8441) too. Default false. */
  http2?: boolean;
  /** With `http2`, also serve HTTP/1.1 upgrades on the same port. Default true. */
  allowHTTP1?: boolean;
  /** TLS (`wss:`): `key` and `cert` at least. Default: cleartext. */
  tls?: TlsOptions;
}

export interface TransportServer {
  /** The listening server: `net.Server`, or its subclass `tls.Server`. */
  readonly server: Server;
  readonly secure: boolean;
  /** Asks every HTTP/2 session to finish (GOAWAY) once its streams are done. */
  closeSessions(): void;
}

/** The client connection preface of HTTP/2 (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function createTransportServer(
  options: TransportOptions & { handshakeTimeout: number },
  onHttp1Socket: (socket: Socket) => void,
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void,
): TransportServer {
  const http2 = options.http2 === true;
  const allowHTTP1 = !http2 || options.allowHTTP1 !== false;
  const sessions = new Set<ServerHttp2Session>();
  const openStreams = new WeakMap<Http2Session, number>();
  // A session factory, never listening itself: connections are handed to it once they are h2.
  const h2 = http2 ? createHttp2Server({ settings: { enableConnectProtocol: true, initialWindowSize: H2_STREAM_WINDOW } }) : null;
  if (h2 !== null) {
    h2.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.on('error', ignoreError);
      session.setLocalWindowSize(H2_SESSION_WINDOW);
      session.once('close', () => sessions.delete(session));
      // A session that carries no stream for the handshake timeout is closed, as an HTTP/1.1
      // connection that sends no request head would be; WebSockets, even silent ones, keep it.
      session.setTimeout(options.handshakeTimeout, () => {
        if ((openStreams.get(session) ?? 0) === 0) session.close();
      });
    });
    h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const session = stream.session;
      if (session !== undefined) {
        openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
        stream.once('close', () => openStreams.set(session, (openStreams.get(session) ?? 1) - 1));
      }
      onStream(stream, headers);
    });
  }
  const toHttp1 = (socket: Socket): void => {
    if (allowHTTP1) onHttp1Socket(socket);
    else socket.destroy();
  };

  let server: Server;
  if (options.tls !== undefined) {
    const ALPNProtocols = !http2 ? ['http/1.1'] : allowHTTP1 ? ['h2', 'http/1.1'] : ['h2'];
    server = createTlsServer({ ...options.tls, ALPNProtocols }, (socket: TLSSocket) => {
      socket.setNoDelay(true);
      if (h2 !== null && socket.alpnProtocol === 'h2') h2.emit('connection', socket);
      else toHttp1(socket);
    });
    // A failed TLS handshake is the client's problem; it must not reach the process.
    server.on('tlsClientError', ignoreError);
  } else {
    server = createNetServer({ noDelay: true }, (socket) => {
      if (h2 === null) return onHttp1Socket(socket);
      sniffPreface(socket, options.handshakeTimeout, (isH2) => {
        if (isH2) return h2.emit('connection', socket);
        toHttp1(socket);
        // The HTTP/1.1 reader is listening now; the sniff had paused the socket.
        socket.resume();
      });
    });
  }
  return {
    server,
    secure: options.tls !== undefined,
    closeSessions() {
      for (const session of sessions) session.close();
    },
  };
}

/**
 * Reads until the first bytes tell an HTTP/2 preface from an HTTP/1.1 request line, then puts
 * them back for whoever reads next.
 */
function sniffPreface(socket: Socket, timeout: number, decide: (isH2: boolean) => void): void {
  // A connection that sends nothing meets the same deadline as a slow request head.
  const timer = setTimeout(() => onGone(), timeout);
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const matches = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (matches && n < PREFACE.length) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    decide(matches);
  };
  const onGone = (): void => {
    cleanup();
    socket.destroy();
  };
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('error', onGone);
  };
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('error', onGone);
}

function ignoreError(): void {}
