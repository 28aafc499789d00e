/**
 * Helpers for the HTTP/2 tests: an `http2` server that hands extended CONNECT streams to an
 * `Upgrader`, and a hand-driven client on Node's own `http2` module that writes WebSocket frames
 * into a stream and decodes the frames that come back.
 */
import * as http2 from 'node:http2';
import { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type Conn, type UpgradeRequest, Upgrader, type UpgraderOptions } from '../../src/index.js';
import { acceptStream, readStreamRequest } from '../../src/server/http2.js';
import { onCleanup } from '../helpers/servers.js';
import { type FrameInit, clientFrame, type ReceivedFrame } from '../helpers/raw-client.js';
import { WireDecoder } from '../helpers/wire/decode.js';

export interface H2TestServer {
  port: number;
  server: http2.Http2Server;
  upgrader: Upgrader;
  conns: Conn[];
  requests: UpgradeRequest[];
  errors: unknown[];
  /** Resolves with the next connection accepted. */
  nextConn(): Promise<Conn>;
}

/** A cleartext (h2c) `http2` server advertising extended CONNECT, closed after the test. */
export async function h2Server(handler: (conn: Conn) => void | Promise<void>, options: UpgraderOptions = {}): Promise<H2TestServer> {
  const upgrader = new Upgrader(options);
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const conns: Conn[] = [];
  const requests: UpgradeRequest[] = [];
  const errors: unknown[] = [];
  let waiters: Array<(c: Conn) => void> = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    new Promise<Conn>((resolve) => {
      const pending = readStreamRequest(upgrader, stream, headers);
      requests.push(pending.request);
      resolve(acceptStream(upgrader, pending));
    }).then(
      (conn) => {
        conns.push(conn);
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve(conn);
        void Promise.resolve(handler(conn)).catch((e: unknown) => errors.push(e));
      },
      (err: unknown) => errors.push(err),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.closeNow();
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { port, server, upgrader, conns, requests, errors, nextConn: () => new Promise((resolve) => waiters.push(resolve)) };
}

/** Opens a client session and waits for the server's SETTINGS. */
export async function h2Session(port: number): Promise<ClientHttp2Session> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  onCleanup(() => {
    session.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** The headers of an extended CONNECT for a WebSocket (RFC 8441 §4), with `extra` merged in. */
export function connectHeaders(port: number, path = '/', extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': path,
    ':authority': `127.0.0.1:${port}`,
    'sec-websocket-version': '13',
    ...extra,
  };
}

/** One stream driven by hand: the response, then WebSocket frames both ways. */
export class RawStream {
  readonly stream: ClientHttp2Stream;
  response: IncomingHttpHeaders | null = null;
  body = Buffer.alloc(0);
  ended = false;
  closed = false;
  private frames: ReceivedFrame[] = [];
  private waiters: Array<() => void> = [];
  private readonly decoder = new WireDecoder();

  constructor(stream: ClientHttp2Stream) {
    this.stream = stream;
    stream.on('response', (headers) => {
      this.response = headers;
      this.wake();
    });
    stream.on('data', (chunk: Buffer) => {
      if (Number(this.response?.[':status']) !== 200) {
        this.body = Buffer.concat([this.body, chunk]);
        return;
      }
      // Decoded with the tests' own codec (test/helpers/wire), which shares nothing with src/.
      const frames = this.decoder.push(chunk);
      if (frames.length === 0) return;
      this.frames.push(...frames);
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('close', () => {
      this.closed = true;
      this.wake();
    });
    stream.on('error', () => {});
  }

  static open(session: ClientHttp2Session, headers: OutgoingHttpHeaders): RawStream {
    return new RawStream(session.request(headers, { endStream: false }));
  }

  async readResponse(): Promise<IncomingHttpHeaders> {
    await this.until(() => this.response !== null || this.closed);
    if (this.response === null) throw new Error(`stream closed before a response (rst ${this.stream.rstCode})`);
    return this.response;
  }

  send(init: FrameInit): void {
    this.stream.write(clientFrame(init));
  }

  async nextFrame(): Promise<ReceivedFrame> {
    await this.until(() => this.frames.length > 0 || this.ended || this.closed);
    const frame = this.frames.shift();
    if (frame === undefined) throw new Error('stream ended before a frame arrived');
    return frame;
  }

  async waitEnded(): Promise<void> {
    await this.until(() => this.ended || this.closed);
  }

  async waitClosed(): Promise<void> {
    await this.until(() => this.closed);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (condition()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }
}

/** Echoes every message until the peer closes. */
export async function echo(conn: Conn): Promise<void> {
  try {
    for await (const m of conn) await conn.writeMessage(m.type, m.data);
  } catch {
    // a reset stream or a protocol error ends the echo; the test looks at the connection itself
  }
}
