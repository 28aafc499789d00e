/**
 * The conformance suite over HTTP/2 streams (RFC 8441): the same cases, the same bytes, inside a
 * stream of one h2 session instead of a TCP connection of their own. A stream stands in for the
 * peer's socket: END_STREAM is its FIN, RST_STREAM its reset.
 * - {@link h2ServerTestee}: our server (`serve({ http2: true })`, set up as scripts/echo-server.ts
 *   sets it up); the peer plays the client, each case a new stream of one shared session.
 * - {@link h2ClientTestee}: our `Dialer` with `http2: true`, echoing as scripts/echo-client.ts does;
 *   this side is a Node `http2` server and the peer plays the server.
 */
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { type Conn, Dialer, type WebSocketServer, serve } from '../../src/index.js';
import { agreementFromResponse, agreementOf, formatOffers, formatResponse, offersFromRequest } from '../conformance/harness/deflate.js';
import { Peer } from '../conformance/harness/peer.js';
import type { ConformanceCase } from '../conformance/harness/run-cases.js';
import type { Testee } from '../conformance/harness/testee.js';

const READ_LIMIT = 64 * 1024 * 1024;

/**
 * The cases worth running again over h2, within the suite's time budget: all but those that chop a
 * big message into tiny TCP writes (over h2, tens of thousands of DATA frames that test TCP
 * segmentation again) and the 8 and 16 MiB messages (the 4 MiB ones stay, and Chromium sends
 * 16 MiB over h2 in its own test). The TCP suite runs every case.
 */
export function forHttp2(cases: readonly ConformanceCase[]): ConformanceCase[] {
  return cases.filter((c) => !/(6553[56] bytes, in 1-byte TCP chops|TCP chops of|of (8|16) MiB)/.test(c.title));
}

/** permessage-deflate over h2: every parameter case (13.x), and the message cases of 12.1-12.2. */
export function compressionForHttp2(cases: readonly ConformanceCase[]): ConformanceCase[] {
  return cases.filter((c) => /^(13\.|12\.[12]\.)/.test(c.id));
}

/** The peer drives a stream as it drives a socket; a stream has no Nagle to turn off. */
function streamAsSocket(stream: http2.Http2Stream): Socket {
  return Object.assign(stream, { setNoDelay: () => stream }) as unknown as Socket;
}

async function echo(conn: Conn): Promise<void> {
  try {
    for await (const { type, data } of conn) await conn.writeMessage(type, data);
  } catch {
    // the close code the case expects has been sent; the peer judges it
  }
}

export function h2ServerTestee(options: { compression?: boolean } = {}): Testee {
  let server: WebSocketServer | null = null;
  let session: http2.ClientHttp2Session | null = null;
  beforeAll(async () => {
    server = await serve(
      {
        port: 0,
        http2: true,
        upgrader: { checkOrigin: () => true, readLimit: READ_LIMIT, enableCompression: options.compression === true ? { threshold: 0 } : false },
        onError: () => {},
      },
      echo,
    );
    session = http2.connect(`http://127.0.0.1:${server.port}`);
    session.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      session!.once('remoteSettings', () => resolve());
      session!.once('error', reject);
    });
  }, 30_000);
  afterAll(async () => {
    // Every case ran on this one session: it must have survived them all.
    const survived = session !== null && !session.destroyed && !session.closed;
    session?.destroy();
    for (const c of server?.connections ?? []) c.closeNow();
    await server?.close();
    if (!survived) throw new Error('the HTTP/2 session did not survive the cases');
  });
  return {
    name: 'serve({ http2: true })',
    async open(c) {
      const offers = c.handshake?.offers ?? [];
      const stream = session!.request(
        {
          ':method': 'CONNECT',
          ':protocol': 'websocket',
          ':scheme': 'http',
          ':path': '/',
          ':authority': `127.0.0.1:${server!.port}`,
          'sec-websocket-version': '13',
          ...(offers.length > 0 ? { 'sec-websocket-extensions': formatOffers(offers) } : {}),
        },
        { endStream: false },
      );
      stream.on('error', () => {});
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('close', () => reject(new Error(`the stream closed before the response (rst ${stream.rstCode})`)));
      });
      const extensions = headers['sec-websocket-extensions'];
      const deflate = agreementFromResponse(typeof extensions === 'string' ? extensions : undefined, offers);
      if (Number(headers[':status']) !== 200 || typeof deflate === 'string') {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        throw new Error(`opening handshake refused: ${JSON.stringify(headers)} ${typeof deflate === 'string' ? deflate : ''}`);
      }
      return new Peer('client', streamAsSocket(stream), Buffer.alloc(0), { deflate });
    },
  };
}

export function h2ClientTestee(options: { compression?: boolean } = {}): Testee {
  let server: http2.Http2Server | null = null;
  let port = 0;
  const arrived: Array<{ stream: http2.ServerHttp2Stream; headers: http2.IncomingHttpHeaders }> = [];
  let waiting: ((s: { stream: http2.ServerHttp2Stream; headers: http2.IncomingHttpHeaders }) => void) | null = null;
  const sessions = new Set<http2.ServerHttp2Session>();
  // One dialer for the file: its cases share one pooled session, as many WebSockets to one origin do.
  const dialer = new Dialer({ http2: true, readLimit: READ_LIMIT, enableCompression: options.compression === true ? { threshold: 0 } : false });
  beforeAll(async () => {
    server = http2.createServer({ settings: { enableConnectProtocol: true } });
    server.on('session', (s: http2.ServerHttp2Session) => {
      sessions.add(s);
      s.on('error', () => {});
    });
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      stream.on('error', () => {});
      const take = waiting;
      waiting = null;
      if (take !== null) take({ stream, headers });
      else arrived.push({ stream, headers });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    const count = sessions.size;
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    if (count !== 1) throw new Error(`the dialer should have used one HTTP/2 session, it opened ${count}`);
  });
  return {
    name: 'Dialer({ http2: true })',
    async open(c) {
      const next = arrived.shift() ?? new Promise<{ stream: http2.ServerHttp2Stream; headers: http2.IncomingHttpHeaders }>((resolve) => (waiting = resolve));
      dialer.dial(`ws://127.0.0.1:${port}/`).then(({ conn }) => echo(conn), () => {});
      const { stream, headers } = await next;
      if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket' || headers['sec-websocket-version'] !== '13') {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        throw new Error(`the client's extended CONNECT is wrong: ${JSON.stringify(headers)}`);
      }
      const requested = headers['sec-websocket-extensions'];
      const offers = offersFromRequest(typeof requested === 'string' ? requested : undefined);
      if (typeof offers === 'string') throw new Error(`the client's offers are wrong (${offers})`);
      const response = c.handshake?.accept?.(offers) ?? null;
      stream.respond({ ':status': 200, ...(response === null ? {} : { 'sec-websocket-extensions': formatResponse(response) }) });
      return new Peer('server', streamAsSocket(stream), Buffer.alloc(0), { deflate: response === null ? null : agreementOf(response, offers) });
    },
  };
}
