/**
 * A browser chat on node:http: the page at `/`, the WebSocket at `/ws`, a room on the library's
 * `Hub` that broadcasts every line to every member (protocol in `protocol.ts`), keepalive pings,
 * permessage-deflate, and a clean shutdown (1001 to everyone) on SIGINT or SIGTERM. With
 * REDIS_URL, several processes share the room through Redis, on a stream the pages resume from.
 *
 *   npm start                                   # http://127.0.0.1:8080/
 *   PORT=3000 HOST=0.0.0.0 npx tsx examples/chat/server.ts
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8081 npm start   # and the same on 8082
 */
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { type Conn, CloseGoingAway, ClosePolicyViolation, TextMessage, Upgrader } from '../../src/index.js';
import type { RedisBackplane } from '../../src/redis/index.js';
import { redisBackplaneFor } from './redis.js';
import { ChatRoom, type Member } from './room.js';
import { ChatProtocolError, parseClientMessage } from './protocol.js';

export interface ChatServerOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keepalive: ping every connection this often (ms); a peer silent for as long again is dropped. Default 30 s. */
  pingInterval?: number;
  /** How long a new connection has to send its join message (ms). Default 10 s. */
  joinTimeout?: number;
  /** Shares the room with the other processes on this Redis (e.g. `redis://127.0.0.1:6379`). */
  redisUrl?: string;
}

export interface ChatServer {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  readonly port: number;
  readonly room: ChatRoom;
  /** The Redis backplane, when the room is shared (`redisUrl`). */
  readonly backplane: RedisBackplane | null;
  /** Every open WebSocket connection, joined or not. */
  readonly connections: ReadonlySet<Conn>;
  readonly httpServer: Server;
  /** Stops listening, closes every connection with 1001, and resolves once all are closed. */
  close(): Promise<void>;
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
};

/**
 * The page loads nothing from elsewhere and runs no inline code, so the policy can forbid both:
 * even a bug that put user text into the markup could not run it.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const joinTimeout = options.joinTimeout ?? 10_000;
  const files = new Map(Object.entries(STATIC_FILES).map(([path, { file, type }]) => [path, { body: readFileSync(new URL(file, import.meta.url)), type }]));
  const redis = options.redisUrl === undefined ? null : await redisBackplaneFor(options.redisUrl);
  const room = new ChatRoom(redis?.backplane);
  const connections = new Set<Conn>();
  // The default origin check stays on: only pages served by this server may connect.
  const upgrader = new Upgrader({
    enableCompression: true,
    pingInterval: options.pingInterval ?? 30_000,
    readLimit: 16 * 1024,
  });

  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const entry = files.get(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask for one; there is none, and that is not an error
    } else if (entry === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    } else {
      res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': entry.body.length, ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : entry.body);
    }
  });

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    upgrader.upgrade(req, socket, head).then(
      (conn) => {
        connections.add(conn);
        void conn.closed.then(() => connections.delete(conn));
        void serveMember(room, conn, joinTimeout);
      },
      () => {}, // the upgrader answered the failed handshake (400, 403, ...) itself
    );
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    room,
    backplane: redis?.backplane ?? null,
    connections,
    httpServer,
    close() {
      closing ??= new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        // Every plain HTTP connection goes now: one that never sent a request (a browser's spare
        // connection) counts as busy, not idle, and would hold the close until Node's headers
        // timeout, a minute or more. Upgraded WebSockets are not among them: they close below.
        httpServer.closeAllConnections();
        for (const conn of connections) void conn.close(CloseGoingAway, 'server shutting down').catch(() => conn.closeNow());
      }).then(async () => {
        await Promise.all([...connections].map((c) => c.closed));
        await redis?.close();
      });
      return closing;
    },
  };
}

/** One connection's life: join, then relay its lines until it leaves. */
async function serveMember(room: ChatRoom, conn: Conn, joinTimeout: number): Promise<void> {
  let member: Member | null = null;
  try {
    const first = await conn.readMessage({ signal: AbortSignal.timeout(joinTimeout) });
    const join = parseClientMessage(first.type === TextMessage, first.data);
    if (join.type !== 'join') throw new ChatProtocolError(ClosePolicyViolation, 'the first message must be a join');
    member = await room.join(conn, join.name, join.since);
    for await (const { type, data } of conn) {
      const message = parseClientMessage(type === TextMessage, data);
      if (message.type !== 'say') throw new ChatProtocolError(ClosePolicyViolation, 'joined already');
      if (message.text.trim() !== '') await room.say(member, message.text);
    }
  } catch (err) {
    if (err instanceof ChatProtocolError) await conn.close(err.closeCode, err.message).catch(() => conn.closeNow());
    else if (err instanceof DOMException && err.name === 'TimeoutError') await conn.close(ClosePolicyViolation, 'join timeout').catch(() => conn.closeNow());
    // Otherwise the peer went away (or broke the protocol, and the connection answered that).
  } finally {
    if (member !== null) await room.leave(member);
    // Idempotent: a no-op when the connection is already closing or closed.
    void conn.close().catch(() => conn.closeNow());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 8080);
  const redisUrl = process.env.REDIS_URL;
  const options = { port, host: process.env.HOST ?? '127.0.0.1', ...(redisUrl === undefined || redisUrl === '' ? {} : { redisUrl }) };
  const chat = await startChatServer(options).catch((err: unknown) => {
    // A second `npm start` is a mistake to explain, not a crash to debug.
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    console.error(`chat demo: port ${port} is already in use (is the chat already running?); choose another: PORT=8081 npm start`);
    process.exit(1);
  });
  console.log(`chat demo: open ${chat.url} in two browser windows (Ctrl-C stops it)`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    console.log('chat demo: closing every connection (1001 going away)');
    void chat.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
