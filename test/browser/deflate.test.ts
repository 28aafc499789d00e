/**
 * permessage-deflate with Chromium: its offer is negotiated, both sides send compressed frames
 * (RSV1 seen on the wire by a tap on the server's socket, decoded with the frame inspector's
 * modules), and every message round-trips intact.
 */
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { OrderedOutput } from '../../scripts/trace/ordered-output.js';
import { TraceSession } from '../../scripts/trace/session.js';
import { type Conn, type Message, Upgrader } from '../../src/index.js';
import { isPng, launchChromium, screenshot, skipBrowserTests, waitForCount } from './chromium.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>deflate</title>
<p id="extensions">connecting</p><ol id="received"></ol>
<script>
  const ws = new WebSocket('ws://' + location.host + '/ws');
  ws.binaryType = 'arraybuffer';
  const show = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('received').append(li); };
  ws.onopen = () => {
    document.getElementById('extensions').textContent = ws.extensions;
    ws.send('compress me, compress me, compress me! '.repeat(50));
    ws.send(new Uint8Array(4096).map((_, i) => i % 7));
  };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') show('text ' + e.data.length + ' ' + e.data.slice(0, 20));
    else { const b = new Uint8Array(e.data); show('binary ' + b.length + ' ' + b.every((v, i) => v === i % 7)); }
  };
</script>`;

/** What was written to `socket`, and what it received, shown to a trace session (copies; the connection's bytes are untouched). */
function tap(socket: Duplex, req: IncomingMessage, head: Buffer, session: TraceSession): void {
  // node:http has read the request head already: give the session the same head, as it was sent.
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  session.fromClient(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  if (head.length > 0) session.fromClient(head);
  socket.on('data', (chunk: Buffer) => session.fromClient(chunk));
  const write = socket.write.bind(socket) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
  socket.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
    session.fromServer(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof socket.write;
}

// Skipped only where Chromium is missing and this is not CI (see chromium.ts).
describe.skipIf(skipBrowserTests)('permessage-deflate with Chromium', () => {
  let browser: { context: BrowserContext; close: () => Promise<void> };
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE));
  const upgrader = new Upgrader({ enableCompression: { threshold: 0 } });
  const conns: Conn[] = [];
  const received: Message[] = [];
  const wire: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    server.on('upgrade', (req, socket, head) => {
      tap(socket, req, head, new TraceSession({ out: new OrderedOutput((line) => wire.push(line)), previewBytes: 16 }));
      upgrader.upgrade(req, socket, head).then(
        async (conn) => {
          conns.push(conn);
          for await (const message of conn) {
            received.push({ type: message.type, data: Buffer.from(message.data) });
            await conn.writeMessage(message.type, message.data);
          }
        },
        () => {},
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const conn of conns) conn.closeNow();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("negotiates Chromium's offer, and messages go compressed both ways and come back intact", async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await waitForCount(page, '#received li', 2);

    // What the page shows: the extension the browser agreed to, and both messages back whole.
    expect(await page.textContent('#extensions')).toMatch(/^permessage-deflate/);
    expect(await page.$$eval('#received li', (items) => items.map((li) => li.textContent))).toEqual([
      `text ${39 * 50} compress me, compres`,
      'binary 4096 true',
    ]);
    expect(isPng(await screenshot(page, 'deflate'))).toBe(true);

    // The server's side: the agreement, and the messages as the browser sent them.
    expect(conns).toHaveLength(1);
    expect(conns[0]!.compression).toMatchObject({ serverMaxWindowBits: 15 });
    expect(received.map((m) => [m.type, m.data.length])).toEqual([
      [1, 39 * 50],
      [2, 4096],
    ]);

    // On the wire: the browser's offer, our answer, and RSV1 on the data frames both ways.
    expect(wire).toContainEqual(expect.stringMatching(/^C→S Sec-WebSocket-Extensions: permessage-deflate/));
    expect(wire).toContainEqual(expect.stringMatching(/^S→C Sec-WebSocket-Extensions: permessage-deflate/));
    const dataFrames = wire.filter((line) => / (text|binary) /.test(line) && line.includes('fin='));
    expect(dataFrames).toHaveLength(4); // in whatever order the two directions interleaved
    expect(dataFrames).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^C→S fin=1 rsv=100 text   mask=[0-9a-f]{8} len=\d+ deflated /),
        expect.stringMatching(/^C→S fin=1 rsv=100 binary mask=[0-9a-f]{8} len=\d+ deflated /),
        expect.stringMatching(/^S→C fin=1 rsv=100 text   unmasked len=\d+ deflated /),
        expect.stringMatching(/^S→C fin=1 rsv=100 binary unmasked len=\d+ deflated /),
      ]),
    );
    const textFrame = dataFrames.find((line) => line.startsWith('C→S') && line.includes(' text '))!;
    expect(Number(/ len=(\d+) /.exec(textFrame)![1])).toBeLessThan(1950 / 10); // fifty repeats squeeze well
    await expect.poll(() => wire.filter((l) => l.includes(' message '))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^C→S message text, inflated \d+ → 1950 bytes: "compress me, com"…/),
        expect.stringMatching(/^S→C message binary, inflated \d+ → 4096 bytes: hex:00 01 02 03/),
      ]),
    );
    await page.close();
  }, 60_000);
});
