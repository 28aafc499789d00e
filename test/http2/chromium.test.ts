/**
 * Chromium speaks RFC 8441: a page loaded over HTTPS h2 from a server that enables extended
 * CONNECT opens its `wss:` WebSocket as a stream of that same session. Asserted on the server side
 * (the connection's transport, the request's method), with and without permessage-deflate, and
 * with messages up to 16 MiB each way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Conn, type UpgradeRequest, Upgrader, isWebSocketConnect } from '../../src/index.js';
import { acceptStream, readStreamRequest } from '../../src/server/http2.js';
import { CHROMIUM_PATH, skipBrowserTests } from '../browser/chromium.js';
import { testCertificate } from '../client/fixtures.js';

const SIXTEEN_MIB = 16 * 1024 * 1024;

/** Runs in the page: opens the WebSocket, round-trips text, binary and a 16 MiB message, reports. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>h2 websocket</title>
<script>
  async function run(path) {
    const ws = new WebSocket('wss://' + location.host + path);
    ws.binaryType = 'arraybuffer';
    const inbox = [];
    let wake = null;
    ws.onmessage = (e) => { inbox.push(e.data); if (wake) wake(); };
    const next = async () => { while (inbox.length === 0) await new Promise((r) => (wake = r)); return inbox.shift(); };
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('websocket error')); });
    const out = { extensions: ws.extensions };
    ws.send('hello over h2');
    out.text = await next();
    const big = new Uint8Array(${SIXTEEN_MIB});
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    ws.send(big);
    const back = new Uint8Array(await next());
    let same = back.length === big.length;
    for (let i = 0; same && i < big.length; i += 4096) same = back[i] === big[i];
    out.big = back.length + ' ' + same;
    const closed = new Promise((r) => (ws.onclose = (e) => r(e.code + ' ' + e.wasClean)));
    ws.close(1000, 'done');
    out.close = await closed;
    return out;
  }
  Promise.all([run('/plain'), run('/deflate')]).then(
    (r) => { window.result = JSON.stringify(r); },
    (e) => { window.result = JSON.stringify({ error: String(e) }); },
  );
</script>`;

describe.skipIf(skipBrowserTests)('Chromium opens WebSockets over HTTP/2 (RFC 8441)', () => {
  let context: BrowserContext;
  let profile: string;
  let server: http2.Http2SecureServer;
  const plain = new Upgrader({ readLimit: 2 * SIXTEEN_MIB });
  const deflate = new Upgrader({ readLimit: 2 * SIXTEEN_MIB, enableCompression: true });
  const seen: Array<{ transport: string; request: UpgradeRequest; compressed: boolean }> = [];
  const conns: Conn[] = [];
  let pageLoads = 0;

  beforeAll(async () => {
    const { cert, key } = await testCertificate();
    // h2 only: the page can come over nothing else, so the browser holds an h2 session.
    server = http2.createSecureServer({ cert, key, settings: { enableConnectProtocol: true } });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      if (!isWebSocketConnect(headers)) {
        pageLoads++;
        stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
        stream.end(PAGE);
        return;
      }
      try {
        const upgrader = headers[':path'] === '/deflate' ? deflate : plain;
        const pending = readStreamRequest(upgrader, stream, headers);
        const conn = acceptStream(upgrader, pending);
        conns.push(conn);
        seen.push({ transport: conn.transport, request: pending.request, compressed: conn.compression !== null });
        void (async () => {
          try {
            for await (const m of conn) await conn.writeMessage(m.type, m.data);
          } catch {
            // the browser went away
          }
        })();
      } catch {
        // refused: the page reports it
      }
    });
    server.on('sessionError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    profile = mkdtempSync(join(tmpdir(), 'rfc6455-chromium-h2-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--ignore-certificate-errors'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    for (const conn of conns) conn.closeNow();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('page over h2, then wss: as a stream of the same session, with and without permessage-deflate, 16 MiB each way', { timeout: 120_000 }, async () => {
    const page = await context.newPage();
    await page.goto(`https://localhost:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as { result?: string }).result !== undefined, undefined, { timeout: 100_000 });
    const result = JSON.parse((await page.evaluate(() => (globalThis as { result?: string }).result))!) as unknown;
    expect(result).toEqual([
      { extensions: '', text: 'hello over h2', big: `${SIXTEEN_MIB} true`, close: '1000 true' },
      { extensions: expect.stringMatching(/^permessage-deflate/), text: 'hello over h2', big: `${SIXTEEN_MIB} true`, close: '1000 true' },
    ]);
    expect(pageLoads).toBeGreaterThanOrEqual(1);
    // Server side: both WebSockets arrived as extended CONNECT streams, not HTTP/1.1 upgrades.
    expect(seen.map((s) => [s.transport, s.request.method, s.request.transport]).sort()).toEqual([
      ['h2', 'CONNECT', 'h2'],
      ['h2', 'CONNECT', 'h2'],
    ]);
    expect(seen.find((s) => s.request.url === '/deflate')?.compressed).toBe(true);
    expect(seen.find((s) => s.request.url === '/plain')?.compressed).toBe(false);
    await page.close();
  });
});
