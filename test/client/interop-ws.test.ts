/**
 * Our client against a server written by others: the `ws` package, over plain TCP and over TLS
 * with a self-signed certificate made for the test (verification on, SNI, host name checks).
 */
import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BinaryMessage, type Conn, DialError, Dialer, PingMessage, TextMessage } from '../../src/index.js';
import { deferred, onCleanup } from '../helpers/servers.js';
import { loopbackLookup, testCertificate } from './fixtures.js';

interface WsServer {
  port: number;
  wss: WebSocketServer;
  /** The SNI name of each TLS connection (false when none was sent). */
  servernames: Array<string | false>;
}

/** A `ws` server that echoes every message with its type, over http or https. */
async function wsServer(options: { tls?: boolean; protocols?: string[] } = {}): Promise<WsServer> {
  let server: HttpServer | HttpsServer;
  const servernames: Array<string | false> = [];
  if (options.tls === true) {
    const { cert, key } = await testCertificate();
    server = createHttpsServer({ cert, key });
    server.on('secureConnection', (s: TLSSocket) => servernames.push((s as TLSSocket & { servername: string | false }).servername));
  } else {
    server = createHttpServer();
  }
  const wss = new WebSocketServer({
    server,
    ...(options.protocols !== undefined ? { handleProtocols: (offered: Set<string>) => options.protocols!.find((p) => offered.has(p)) ?? false } : {}),
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, wss, servernames };
}

async function roundTrip(conn: Conn): Promise<void> {
  for (const size of [0, 1, 125, 126, 65535, 65536, 1024 * 1024 + 3]) {
    const text = 'ü'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2);
    await conn.writeMessage(TextMessage, text);
    const t = await conn.readMessage();
    expect(t.type).toBe(TextMessage);
    expect(t.data.toString()).toBe(text);
    const bin = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bin[i] = (i * 31) & 0xff;
    await conn.writeMessage(BinaryMessage, bin);
    const b = await conn.readMessage();
    expect(b.type).toBe(BinaryMessage);
    expect(b.data.equals(bin)).toBe(true);
  }
}

describe('Dialer ↔ ws server (plain)', () => {
  it('echoes text and binary messages of every length class', async () => {
    const { port } = await wsServer();
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    await roundTrip(conn);
    await conn.close(1000, 'done');
    expect(await conn.closed).toEqual({ code: 1000, reason: 'done', wasClean: true, error: null });
  });

  it('sends fragmented messages with nextWriter that ws reassembles', async () => {
    const { port } = await wsServer();
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    const w = await conn.nextWriter(TextMessage);
    await w.write('one ');
    await w.write('two ');
    await w.close('three');
    expect((await conn.readMessage()).data.toString()).toBe('one two three');
  });

  it('gets pongs from ws and measures the round trip', async () => {
    const { port } = await wsServer();
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    const reading = conn.readMessage().catch(() => null); // pongs are processed while reading
    expect(await conn.ping()).toBeGreaterThanOrEqual(0);
    await conn.writeControl(PingMessage, 'x');
    await conn.close();
    await reading;
  });

  it('answers pings from ws and passes its close code through', async () => {
    const { port, wss } = await wsServer();
    const pong = deferred<Buffer>();
    wss.on('connection', (ws) => {
      ws.on('pong', (d: Buffer) => pong.resolve(d));
      ws.ping('hi');
      ws.on('message', () => ws.close(4001, 'bye from ws'));
    });
    const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    await conn.writeMessage(TextMessage, 'close me');
    await expect(conn.readMessage()).resolves.toMatchObject({ type: TextMessage }); // the echo
    await expect(conn.readMessage()).rejects.toMatchObject({ name: 'CloseError', code: 4001, text: 'bye from ws' });
    expect((await pong.promise).toString()).toBe('hi');
    expect(await conn.closed).toEqual({ code: 4001, reason: 'bye from ws', wasClean: true, error: null });
  });

  it('negotiates a subprotocol with ws', async () => {
    const { port } = await wsServer({ protocols: ['b', 'a'] });
    const { conn } = await new Dialer({ subprotocols: ['a', 'b'] }).dial(`ws://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    expect(conn.subprotocol).toBe('b');
  });
});

describe('Dialer ↔ ws server (TLS, self-signed certificate)', () => {
  it('dials wss:// with the certificate as CA, sends SNI and echoes', async () => {
    const { port, servernames } = await wsServer({ tls: true });
    const { cert } = await testCertificate();
    const { conn } = await new Dialer({ tls: { ca: cert }, lookup: loopbackLookup }).dial(`wss://localhost:${port}/secure?q=1`);
    onCleanup(() => conn.closeNow());
    expect(servernames).toEqual(['localhost']);
    expect((conn.underlyingSocket as TLSSocket).encrypted).toBe(true);
    await roundTrip(conn);
    await conn.close();
    expect((await conn.closed).wasClean).toBe(true);
  });

  it('verifies certificates by default: a self-signed one is refused', async () => {
    const { port, wss } = await wsServer({ tls: true });
    const err = await new Dialer({ lookup: loopbackLookup }).dial(`wss://localhost:${port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DialError);
    expect(err).toMatchObject({ stage: 'tls' });
    expect(String((err as DialError).code)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(wss.clients.size).toBe(0);
  });

  it('checks the host name against the certificate', async () => {
    const { port } = await wsServer({ tls: true });
    const { cert } = await testCertificate();
    const err = await new Dialer({ tls: { ca: cert }, lookup: loopbackLookup }).dial(`wss://not-localhost.test:${port}/`).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DialError', stage: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('dials an IP address without SNI, checking the address against the certificate', async () => {
    const { port, servernames } = await wsServer({ tls: true });
    const { cert } = await testCertificate();
    const { conn } = await new Dialer({ tls: { ca: cert } }).dial(`wss://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    expect(servernames).toEqual([false]);
    await conn.writeMessage(TextMessage, 'by address');
    expect((await conn.readMessage()).data.toString()).toBe('by address');
  });

  it('passes tls options through (rejectUnauthorized: false, an explicit servername)', async () => {
    const { port, servernames } = await wsServer({ tls: true });
    const { conn } = await new Dialer({ tls: { rejectUnauthorized: false, servername: 'custom.example' } }).dial(`wss://127.0.0.1:${port}/`);
    onCleanup(() => conn.closeNow());
    expect(servernames).toEqual(['custom.example']);
  });
});
