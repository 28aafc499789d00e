import { type IncomingMessage, createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Conn, serve, type UpgradeRequest, Upgrader, type UpgraderOptions, type WebSocketServer } from '../../src/index.js';
import { RawClient } from './raw-client.js';

const cleanups: Array<() => Promise<void> | void> = [];

/** Undoes what the test registered, last first (after each test: `test/config/cleanup.ts`). */
export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

/** Registers something to undo after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export type Handler = (conn: Conn, request: UpgradeRequest) => void | Promise<void>;

/**
 * A raw node:net WebSocket server on a free port, closed after the test. The connection stays
 * open after `handler` returns (until the test or the peer closes it), so a handler may hand it
 * to the test; `serve()`'s own close-on-return is tested in test/server/serve-handler.test.ts.
 */
export async function rawServer(handler: Handler, upgrader: UpgraderOptions = {}, path?: string): Promise<WebSocketServer & { errors: unknown[] }> {
  const errors: unknown[] = [];
  const keepOpen = async (conn: Conn, request: UpgradeRequest): Promise<void> => {
    await handler(conn, request);
    await conn.closed;
  };
  const server = await serve({ port: 0, upgrader, ...(path !== undefined ? { path } : {}), onError: (e) => errors.push(e) }, keepOpen);
  onCleanup(async () => {
    for (const c of server.connections) c.closeNow();
    await server.close();
  });
  return Object.assign(server, { errors });
}

/** A server whose single connection is handed to the test, plus a raw client connected to it. */
export async function serverConnAndRawClient(upgrader: UpgraderOptions = {}): Promise<{ conn: Conn; client: RawClient }> {
  const got = deferred<Conn>();
  const server = await rawServer((conn) => got.resolve(conn), upgrader);
  const client = await RawClient.open(server.port);
  onCleanup(() => client.destroy());
  return { conn: await got.promise, client };
}

/** A node:http server that upgrades at any path with `upgrader.upgrade`, closed after the test. */
export async function httpServer(
  handler: (conn: Conn, req: IncomingMessage) => void | Promise<void>,
  options: UpgraderOptions = {},
): Promise<{ port: number; server: HttpServer; upgrader: Upgrader; errors: unknown[]; conns: Conn[] }> {
  const upgrader = new Upgrader(options);
  const errors: unknown[] = [];
  const conns: Conn[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('plain http\n');
  });
  server.on('upgrade', (req, socket, head) => {
    upgrader.upgrade(req, socket, head).then(
      (conn) => {
        conns.push(conn);
        void Promise.resolve(handler(conn, req)).catch((e: unknown) => errors.push(e));
      },
      (err: unknown) => errors.push(err),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.closeNow();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, server, upgrader, errors, conns };
}

/** Echoes every message until the connection ends. */
export const echo = async (conn: Conn): Promise<void> => {
  try {
    for await (const { type, data } of conn) await conn.writeMessage(type, data);
  } catch {
    // ended by the peer
  }
};

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
