/**
 * `serve()` with `http2`: HTTP/1.1 upgrades and RFC 8441 streams on one port, cleartext (h2c by
 * prior knowledge) and TLS (ALPN), the same handler for both, told apart only by `transport`.
 */
import * as http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { Dialer, TextMessage, type UpgradeRequest, serve } from '../../src/index.js';
import { testCertificate } from '../client/fixtures.js';
import { RawClient } from '../helpers/raw-client.js';
import { onCleanup } from '../helpers/servers.js';
import { RawStream, connectHeaders } from './h2-helpers.js';

async function echoServer(options: Parameters<typeof serve>[0]) {
  const seen: Array<{ transport: string; request: UpgradeRequest }> = [];
  const server = await serve({ port: 0, onError: () => {}, ...options }, async (conn, request) => {
    seen.push({ transport: conn.transport, request });
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
  return { server, seen };
}

function connectSession(url: string, options: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, options);
  session.on('error', () => {});
  onCleanup(() => {
    session.destroy();
  });
  return new Promise((resolve, reject) => {
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

describe('serve() with http2', () => {
  it('serves HTTP/1.1 upgrades and h2c streams on one cleartext port, advertising extended CONNECT', async () => {
    const { server, seen } = await echoServer({ http2: true, path: '/ws' });
    const h1 = await RawClient.open(server.port, '/ws');
    h1.send({ opcode: 0x1, payload: Buffer.from('one') });
    expect((await h1.nextFrame()).payload.toString()).toBe('one');

    const session = await connectSession(`http://127.0.0.1:${server.port}`);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const ws = RawStream.open(session, connectHeaders(server.port, '/ws'));
    expect((await ws.readResponse())[':status']).toBe(200);
    ws.send({ opcode: 0x1, payload: Buffer.from('two') });
    expect((await ws.nextFrame()).payload.toString()).toBe('two');
    expect(seen.map((s) => s.transport)).toEqual(['http/1.1', 'h2']);
    expect(seen[1]!.request.transport).toBe('h2');

    const elsewhere = RawStream.open(session, connectHeaders(server.port, '/other'));
    expect((await elsewhere.readResponse())[':status']).toBe(404);
    const plain = RawStream.open(session, { ':method': 'GET', ':path': '/ws', ':scheme': 'http', ':authority': `127.0.0.1:${server.port}` });
    expect((await plain.readResponse())[':status']).toBe(405);
  });

  it('closes with an idle HTTP/2 session still open', async () => {
    const { server } = await echoServer({ http2: true });
    const session = await connectSession(`http://127.0.0.1:${server.port}`);
    const ws = RawStream.open(session, connectHeaders(server.port));
    await ws.readResponse();
    const closing = server.close();
    const close = await ws.nextFrame();
    expect([close.opcode, close.payload.readUInt16BE(0)]).toEqual([0x8, 1001]);
    ws.send({ opcode: 0x8, payload: close.payload });
    ws.stream.end();
    await closing;
    await ws.waitClosed();
  });

  it('closes an h2 session that carries no stream within the handshake timeout, not one with a WebSocket', async () => {
    const { server } = await echoServer({ http2: true, upgrader: { handshakeTimeout: 300 } });
    const empty = await connectSession(`http://127.0.0.1:${server.port}`);
    const busy = await connectSession(`http://127.0.0.1:${server.port}`);
    const ws = RawStream.open(busy, connectHeaders(server.port));
    await ws.readResponse();
    await new Promise<void>((resolve) => (empty.closed ? resolve() : empty.once('close', () => resolve())));
    // The session with a (silent) WebSocket is still there: its stream still echoes.
    ws.send({ opcode: 0x1, payload: Buffer.from('alive') });
    expect((await ws.nextFrame()).payload.toString()).toBe('alive');
    expect(busy.closed).toBe(false);
  });

  it('over TLS, ALPN picks h2 or http/1.1 on one port', async () => {
    const { cert, key } = await testCertificate();
    const { server, seen } = await echoServer({ http2: true, tls: { cert, key } });
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}`);
    const session = await connectSession(`https://localhost:${server.port}`, { ca: cert });
    expect(session.alpnProtocol).toBe('h2');
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const ws = RawStream.open(session, { ...connectHeaders(server.port), ':scheme': 'https' });
    expect((await ws.readResponse())[':status']).toBe(200);
    ws.send({ opcode: 0x1, payload: Buffer.from('over h2') });
    expect((await ws.nextFrame()).payload.toString()).toBe('over h2');

    const { conn } = await new Dialer({ tls: { ca: cert } }).dial(`wss://localhost:${server.port}/`);
    await conn.writeMessage(TextMessage, 'over http/1.1');
    expect((await conn.readMessage()).data.toString()).toBe('over http/1.1');
    await conn.close();
    expect(seen.map((s) => s.transport)).toEqual(['h2', 'http/1.1']);
  });

  it('does not advertise extended CONNECT without http2', async () => {
    const { cert, key } = await testCertificate();
    const { server } = await echoServer({ tls: { cert, key } });
    const session = http2.connect(`https://localhost:${server.port}`, { ca: cert });
    onCleanup(() => {
      session.destroy();
    });
    // No h2 in ALPN: the TLS handshake agrees on no protocol, and Node's client gives up.
    const outcome = await new Promise<string>((resolve) => {
      session.once('remoteSettings', () => resolve('settings'));
      session.once('error', () => resolve('error'));
      session.once('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('settings');
  });
});
