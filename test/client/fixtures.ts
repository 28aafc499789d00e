/**
 * Servers and peers the client tests talk to: a scripted HTTP server that answers upgrade
 * requests with whatever bytes a test wants (right or wrong), a CONNECT proxy, a self-signed
 * certificate made at run time, and a DNS lookup that sends every name to loopback.
 */
import type { LookupFunction } from 'node:net';
import { type Server, type Socket, connect, createServer } from 'node:net';
import selfsigned from 'selfsigned';
import { computeAccept } from '../../src/protocol/handshake.js';
import { type RequestHead, RequestHeadParser } from '../../src/protocol/http-head.js';
import { onCleanup } from '../helpers/servers.js';

export interface ScriptedConnection {
  socket: Socket;
  /** The request head, once read (null for a peer that never sent one). */
  request: RequestHead | null;
  /** Bytes after the request head. */
  rest: Buffer;
  /** Settles when the server side of this connection has closed. */
  closed: Promise<void>;
}

export type Respond = (conn: ScriptedConnection & { request: RequestHead }) => void;

export interface ScriptedServer {
  port: number;
  server: Server;
  connections: ScriptedConnection[];
  /** The next connection accepted from now on (or the first not yet taken). */
  nextConnection(): Promise<ScriptedConnection>;
  /** The next request read (from any connection). */
  nextRequest(): Promise<ScriptedConnection & { request: RequestHead }>;
}

/** Closes a server and every socket it accepted after the test. */
function track(server: Server, sockets: Set<Socket>): void {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
}

function queue<T>(): { push(v: T): void; next(): Promise<T> } {
  const items: T[] = [];
  const waiters: Array<(v: T) => void> = [];
  return {
    push(v) {
      const w = waiters.shift();
      if (w) w(v);
      else items.push(v);
    },
    next() {
      const v = items.shift();
      return v !== undefined ? Promise.resolve(v) : new Promise((r) => waiters.push(r));
    },
  };
}

/**
 * A server on 127.0.0.1 that reads each request head and calls `respond` (which writes whatever
 * it likes). Without `respond` it reads and never answers. `readHead: false` never reads at all.
 */
export async function scriptedServer(respond?: Respond, options: { readHead?: boolean } = {}): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const connections: ScriptedConnection[] = [];
  const accepted = queue<ScriptedConnection>();
  const requests = queue<ScriptedConnection & { request: RequestHead }>();
  const server = createServer((socket) => {
    const conn: ScriptedConnection = {
      socket,
      request: null,
      rest: Buffer.alloc(0),
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    connections.push(conn);
    accepted.push(conn);
    if (options.readHead === false) {
      socket.resume(); // read and drop: the peer's close is seen, nothing is ever answered
      return;
    }
    const parser = new RequestHeadParser();
    const onData = (chunk: Buffer): void => {
      const parsed = parser.push(chunk);
      if (parsed === null) return;
      socket.off('data', onData);
      socket.pause();
      conn.request = parsed.head;
      conn.rest = Buffer.from(parsed.rest);
      const ready = conn as ScriptedConnection & { request: RequestHead };
      requests.push(ready);
      respond?.(ready);
    };
    socket.on('data', onData);
  });
  track(server, sockets);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, server, connections, nextConnection: accepted.next, nextRequest: requests.next };
}

/** The accept value for a request's key. */
export function acceptFor(request: RequestHead): string {
  return computeAccept(request.headers.get('sec-websocket-key') ?? '');
}

/** A 101 response for `request`, with `lines` added (or replacing the defaults when `replace`). */
export function switching(request: RequestHead, lines: string[] = []): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(request)}`, ...lines, '', ''].join('\r\n');
}

export interface ProxyRecord {
  /** The CONNECT request's target, e.g. `example.com:443`. */
  target: string;
  headers: RequestHead['headers'];
}

export interface ConnectProxy {
  port: number;
  url: string;
  requests: ProxyRecord[];
  connections: ScriptedConnection[];
}

/**
 * A CONNECT proxy: it tunnels to `route(target)` (default: the target itself, with every name on
 * 127.0.0.1). `credentials` ("user:pass") makes it answer 407 to requests without them; `hang`
 * makes it read CONNECT and never answer.
 */
export async function connectProxy(options: { credentials?: string; hang?: boolean; route?: (target: string) => { host: string; port: number } } = {}): Promise<ConnectProxy> {
  const requests: ProxyRecord[] = [];
  const sockets = new Set<Socket>();
  const connections: ScriptedConnection[] = [];
  const route =
    options.route ??
    ((target: string) => {
      const colon = target.lastIndexOf(':');
      return { host: '127.0.0.1', port: Number(target.slice(colon + 1)) };
    });
  const server = createServer((socket) => {
    connections.push({ socket, request: null, rest: Buffer.alloc(0), closed: new Promise((r) => socket.once('close', () => r())) });
    const parser = new RequestHeadParser();
    const onData = (chunk: Buffer): void => {
      const parsed = parser.push(chunk);
      if (parsed === null) return;
      socket.off('data', onData);
      socket.pause();
      const { head, rest } = parsed;
      requests.push({ target: head.target, headers: head.headers });
      if (options.hang === true) return;
      if (head.method !== 'CONNECT') {
        socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (options.credentials !== undefined) {
        const expected = `Basic ${Buffer.from(options.credentials).toString('base64')}`;
        if (head.headers.get('proxy-authorization') !== expected) {
          socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
          return;
        }
      }
      const { host, port } = route(head.target);
      const upstream = connect(port, host);
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.once('connect', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        socket.pipe(upstream);
        upstream.pipe(socket);
        socket.resume();
      });
    };
    socket.on('data', onData);
  });
  track(server, sockets);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, url: `http://127.0.0.1:${port}`, requests, connections };
}

let certificate: Promise<{ cert: string; key: string }> | null = null;

/** A self-signed certificate for `localhost`, 127.0.0.1 and ::1, made once per test file. */
export function testCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= selfsigned
    .generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
      ],
    })
    .then((pems) => ({ cert: pems.cert, key: pems.private }));
  return certificate;
}

/** A TLS server that completes no handshake: it accepts and never answers the ClientHello. */
export async function silentServer(): Promise<ScriptedServer> {
  return scriptedServer(undefined, { readHead: false });
}

/** Sends every host name to 127.0.0.1, so tests can use several names for one machine. */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) (callback as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

