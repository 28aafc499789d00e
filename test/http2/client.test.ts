/**
 * `Dialer` with `http2`: the WebSocket as a stream of a pooled session (RFC 8441), the fallback to
 * HTTP/1.1 in 'auto', the typed error with `true`, refusals, cancellation, the handshake timeout,
 * and the idle session closing.
 */
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BadHandshakeError, BinaryMessage, CloseError, DialTimeoutError, Dialer, Http2UnsupportedError, TextMessage, type UpgradeRequest, serve } from '../../src/index.js';
import type { ServeOptions } from '../../src/index.js';
import { testCertificate } from '../client/fixtures.js';
import { onCleanup } from '../helpers/servers.js';

async function echoServer(options: Partial<ServeOptions> = {}) {
  const requests: UpgradeRequest[] = [];
  const server = await serve({ port: 0, onError: () => {}, ...options }, async (conn, request) => {
    requests.push(request);
    try {
      for await (const m of conn) await conn.writeMessage(m.type, m.data);
    } catch {
      // a reset stream ends the echo
    }
  });
  onCleanup(async () => {
    for (const c of server.connections) c.closeNow();
    await server.close();
  });
  return { server, requests };
}

/** An http2 server that takes streams and never answers them. */
async function silentH2Server(settings: http2.Settings = { enableConnectProtocol: true }) {
  const server = http2.createServer({ settings });
  const streams: http2.ServerHttp2Stream[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    streams.push(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, streams };
}

function sessionOf(socket: unknown): http2.Http2Session {
  return (socket as http2.ClientHttp2Stream).session!;
}

describe('Dialer with http2', () => {
  it('http2: true opens the WebSocket as an h2c stream and shares one session per origin', async () => {
    const { server, requests } = await echoServer({ http2: true });
    const dialer = new Dialer({ http2: true });
    const a = await dialer.dial(`${server.url}/a`);
    const b = await dialer.dial(`${server.url}/b`);
    expect(a.response.status).toBe(200);
    expect([a.conn.transport, b.conn.transport]).toEqual(['h2', 'h2']);
    expect(sessionOf(a.conn.underlyingSocket)).toBe(sessionOf(b.conn.underlyingSocket));
    expect(requests.map((r) => [r.transport, r.url])).toEqual([
      ['h2', '/a'],
      ['h2', '/b'],
    ]);
    await a.conn.writeMessage(TextMessage, 'hello a');
    await b.conn.writeMessage(TextMessage, 'hello b');
    expect((await a.conn.readMessage()).data.toString()).toBe('hello a');
    expect((await b.conn.readMessage()).data.toString()).toBe('hello b');
    await a.conn.close();
    expect(await a.conn.closed).toMatchObject({ code: 1000, reason: '', wasClean: true });
    // b lives on after a's stream ended.
    await b.conn.writeMessage(TextMessage, 'still');
    expect((await b.conn.readMessage()).data.toString()).toBe('still');
    await b.conn.close();
  });

  it("'auto' uses h2 over TLS when offered, HTTP/1.1 otherwise; true fails with Http2UnsupportedError", async () => {
    const { cert, key } = await testCertificate();
    const withH2 = await echoServer({ http2: true, tls: { cert, key } });
    const without = await echoServer({ tls: { cert, key } });
    const tls = { ca: cert };
    const auto = new Dialer({ http2: 'auto', tls });
    const overH2 = await auto.dial(`wss://localhost:${withH2.server.port}/`);
    expect(overH2.conn.transport).toBe('h2');
    await overH2.conn.writeMessage(TextMessage, 'x');
    expect((await overH2.conn.readMessage()).data.toString()).toBe('x');
    const overH1 = await auto.dial(`wss://localhost:${without.server.port}/`);
    expect(overH1.conn.transport).toBe('http/1.1');
    expect(overH1.response.status).toBe(101);
    // 'auto' on ws: stays on HTTP/1.1.
    const plain = await echoServer({ http2: true });
    expect((await auto.dial(plain.server.url)).conn.transport).toBe('http/1.1');

    await expect(new Dialer({ http2: true, tls }).dial(`wss://localhost:${without.server.port}/`)).rejects.toBeInstanceOf(Http2UnsupportedError);
  });

  it('true fails with Http2UnsupportedError when the h2 server does not enable extended CONNECT', async () => {
    const { port } = await silentH2Server({});
    await expect(new Dialer({ http2: true }).dial(`ws://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(Http2UnsupportedError);
  });

  it('a refusal is a BadHandshakeError with the status, headers and body', async () => {
    const { server } = await echoServer({ http2: true, upgrader: { checkOrigin: () => false } });
    const err = await new Dialer({ http2: true, origin: 'https://elsewhere.example' }).dial(server.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadHandshakeError);
    expect((err as BadHandshakeError).status).toBe(403);
    expect((err as BadHandshakeError).body?.toString()).toContain('origin');
  });

  it('negotiates subprotocols and permessage-deflate over h2', async () => {
    const { server } = await echoServer({ http2: true, upgrader: { subprotocols: ['b', 'a'], enableCompression: true } });
    const { conn, response } = await new Dialer({ http2: true, subprotocols: ['a', 'b'], enableCompression: true }).dial(server.url);
    expect(conn.subprotocol).toBe('b');
    expect(conn.compression).not.toBeNull();
    expect(response.headers.get('sec-websocket-extensions')).toMatch(/^permessage-deflate/);
    const big = 'z'.repeat(200_000);
    await conn.writeMessage(TextMessage, big);
    expect((await conn.readMessage()).data.toString()).toBe(big);
    await conn.close();
  });

  it('cancelling a dial resets its stream with CANCEL; the handshake timeout is a DialTimeoutError', async () => {
    const silent = await silentH2Server();
    const controller = new AbortController();
    const dialer = new Dialer({ http2: true });
    const dialing = dialer.dial(`ws://127.0.0.1:${silent.port}/`, { signal: controller.signal });
    await expect.poll(() => silent.streams.length).toBe(1);
    const reason = new Error('changed my mind');
    controller.abort(reason);
    await expect(dialing).rejects.toBe(reason);
    const stream = silent.streams[0]!;
    await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);

    const timed = new Dialer({ http2: true, handshakeTimeout: 200 });
    await expect(timed.dial(`ws://127.0.0.1:${silent.port}/`)).rejects.toBeInstanceOf(DialTimeoutError);
  });

  it('a stream reset by the server is a 1006 for the client application; the session carries on', async () => {
    const { server } = await echoServer({ http2: true });
    const dropper = await serve({ port: 0, http2: true, onError: () => {} }, async (conn) => {
      await conn.readMessage();
      conn.closeNow();
    });
    onCleanup(async () => {
      await dropper.close();
    });
    const dialer = new Dialer({ http2: true });
    const { conn } = await dialer.dial(dropper.url);
    await conn.writeMessage(TextMessage, 'drop me');
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloseError);
    expect((err as CloseError).code).toBe(1006);
    expect((await conn.closed).code).toBe(1006);
    const again = await dialer.dial(server.url);
    await again.conn.writeMessage(TextMessage, 'fine');
    expect((await again.conn.readMessage()).data.toString()).toBe('fine');
    await again.conn.close();
  });

  it('closes the session once its last WebSocket has ended and it has been idle', async () => {
    const { server } = await echoServer({ http2: true });
    const dialer = new Dialer({ http2: true, http2IdleTimeout: 50 });
    const { conn } = await dialer.dial(server.url);
    const session = sessionOf(conn.underlyingSocket);
    await conn.close();
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once('close', () => resolve())));
    // The next dial opens a new session.
    const again = await dialer.dial(server.url);
    expect(sessionOf(again.conn.underlyingSocket) === session).toBe(false);
    await again.conn.close();
  });

  it('a Conn that does not read holds its stream window (1 MiB), not the session: the other WebSocket goes on', { timeout: 60_000 }, async () => {
    // What the server managed to write to the first (never read) WebSocket.
    let handedOver = 0;
    let writerDone = false;
    let accepted = 0;
    const flood = await serve({ port: 0, http2: true, onError: () => {} }, async (conn) => {
      const slowOne = accepted++ === 0;
      const chunk = Buffer.alloc(64 * 1024, 3);
      try {
        for (let i = 0; i < 512; i++) {
          await conn.writeMessage(BinaryMessage, chunk);
          if (!slowOne) continue;
          handedOver += chunk.length;
          if (i === 255) writerDone = true;
        }
      } catch {
        // closed at the end of the test
      }
    });
    onCleanup(async () => {
      for (const c of flood.connections) c.closeNow();
      await flood.close();
    });
    const dialer = new Dialer({ http2: true });
    const slow = await dialer.dial(`${flood.url}/`); // never read
    const other = await dialer.dial(`${flood.url}/`);
    expect(sessionOf(slow.conn.underlyingSocket)).toBe(sessionOf(other.conn.underlyingSocket));
    // The flood server's second connection floods too, and is read: 16 MiB go through the session.
    let received = 0;
    for await (const m of other.conn) {
      received += m.data.length;
      if (received >= 16 * 1024 * 1024) break;
    }
    expect(writerDone).toBe(false);
    // Bounded by bytes: the stream window, the connection's read buffer and Node's buffers.
    expect(handedOver).toBeLessThan(16 * 1024 * 1024);
    expect(handedOver).toBeLessThan(6 * 1024 * 1024);
  });

  it('carries 100 WebSockets over one session', { timeout: 60_000 }, async () => {
    const { server } = await echoServer({ http2: true });
    const dialer = new Dialer({ http2: true });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => dialer.dial(`${server.url}/${i}`)));
    expect(new Set(results.map((r) => sessionOf(r.conn.underlyingSocket))).size).toBe(1);
    await Promise.all(results.map((r, i) => r.conn.writeMessage(TextMessage, `m${i}`)));
    const back = await Promise.all(results.map((r) => r.conn.readMessage()));
    expect(back.map((m) => m.data.toString())).toEqual(results.map((_, i) => `m${i}`));
    results[7]!.conn.closeNow();
    await results[8]!.conn.writeMessage(TextMessage, 'after');
    expect((await results[8]!.conn.readMessage()).data.toString()).toBe('after');
    await Promise.all(results.map((r) => r.conn.close().catch(() => undefined)));
  });
});
