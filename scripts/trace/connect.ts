/**
 * Connect mode: dial a server with the library's `Dialer` and show every frame both ways. The
 * dialer connects through an in-process relay (`relay.ts`) that sees the bytes as they are on the
 * wire, so the handshake and every frame are shown exactly as sent, the same way as in proxy mode;
 * the `Host` header still names the real server, and for wss: the relay speaks TLS to it.
 * Each line typed on the input is sent as a text message.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { type CloseInfo, type Conn, Dialer, TextMessage } from '../../src/index.js';
import { traceConnectHttp2 } from './connect-h2.js';
import { quote } from './preview.js';
import { type Relay, startRelay } from './relay.js';

export interface ConnectOptions {
  url: string;
  previewBytes: number;
  origin?: string;
  subprotocols?: string[];
  /** Offer permessage-deflate. */
  compression?: boolean;
  /** wss: skip certificate verification (self-signed test servers). */
  insecure?: boolean;
  /** Frame lines and the like. */
  print: (line: string) => void;
  /** Lines to send as text messages; its end closes the connection. */
  input?: Readable;
  /** Dial over HTTP/2 (RFC 8441) instead of HTTP/1.1: frames are read from the stream, not a relay. */
  http2?: boolean;
}

export interface Traced {
  conn: Conn;
  /** How the connection ended, once it has, after the last line was printed. */
  done: Promise<CloseInfo>;
}

/** Where to connect: the real server, and the URL the dialer uses through the relay. */
export function parseTarget(url: string): { host: string; port: number; secure: boolean; hostHeader: string; target: URL } {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (target.protocol === 'http:') target.protocol = 'ws:';
  if (target.protocol === 'https:') target.protocol = 'wss:';
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:') throw new Error(`not a ws: or wss: URL: ${url}`);
  const secure = target.protocol === 'wss:';
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
  return { host, port, secure, hostHeader: target.host, target };
}

/** Dials `options.url` through a tracing relay. Rejects (after the handshake lines) if the dial fails. */
export async function traceConnect(options: ConnectOptions): Promise<Traced> {
  if (options.http2 === true) {
    return traceConnectHttp2(options, (conn) => {
      void drain(conn);
      if (options.input !== undefined) sendLines(conn, options.input, options.print);
    });
  }
  const { host, port, secure, hostHeader, target } = parseTarget(options.url);
  const relay = await startRelay({
    upstream: { host, port, secure, verify: options.insecure !== true },
    port: 0,
    host: '127.0.0.1',
    previewBytes: options.previewBytes,
    print: options.print,
    numbered: false,
  });
  const local = new URL(target.href);
  local.protocol = 'ws:';
  local.hostname = '127.0.0.1';
  local.port = String(relay.port);
  const dialer = new Dialer({
    headers: { Host: hostHeader },
    subprotocols: options.subprotocols ?? [],
    enableCompression: options.compression === true,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
  });
  let conn: Conn;
  try {
    ({ conn } = await dialer.dial(local));
  } catch (err) {
    await settle(relay);
    throw err;
  }
  options.print(`transport: ${conn.transport}`);
  void drain(conn);
  if (options.input !== undefined) sendLines(conn, options.input, options.print);
  const done = conn.closed.then(async (info) => {
    await settle(relay);
    options.print(`closed: code=${info.code} reason=${quote(info.reason)} clean=${info.wasClean}`);
    return info;
  });
  return { conn, done };
}

/** Reads (and drops) every message: the relay shows them, and reading keeps the data flowing. */
async function drain(conn: Conn): Promise<void> {
  try {
    for await (const _ of conn);
  } catch {
    // How it ended is printed from `conn.closed`.
  }
}

function sendLines(conn: Conn, input: Readable, print: (line: string) => void): void {
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    conn.writeMessage(TextMessage, line).catch((err: unknown) => print(`not sent: ${(err as Error).message}`));
  });
  lines.on('close', () => void conn.close().catch(() => {}));
  void conn.closed.then(() => lines.close());
}

/** Closes the relay once its connection has closed on both sides (or after a second at most). */
async function settle(relay: Relay): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([relay.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
  await relay.close();
}
