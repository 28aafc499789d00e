/**
 * permessage-deflate between the ws package (client) and our server, for every combination of the
 * four parameters offered by the client and imposed by the server.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket, { type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import { type Conn, type PerMessageDeflateOptions } from '../../src/index.js';
import { decodeFrames } from '../helpers/recorder.js';
import { deferred, onCleanup, rawServer } from '../helpers/servers.js';

interface Received {
  data: Buffer;
  isBinary: boolean;
}

async function wsClient(url: string, perMessageDeflate: WsDeflateOptions): Promise<{ ws: WebSocket; next: () => Promise<Received> }> {
  const ws = new WebSocket(url, { perMessageDeflate });
  const queue: Received[] = [];
  const waiters: Array<(m: Received) => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const w = waiters.shift();
    if (w) w({ data, isBinary });
    else queue.push({ data, isBinary });
  });
  onCleanup(() => ws.terminate());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = (): Promise<Received> => {
    const m = queue.shift();
    return m ? Promise.resolve(m) : new Promise((resolve) => waiters.push(resolve));
  };
  return { ws, next };
}

const json = (i: number): string => JSON.stringify({ seq: i, user: 'alice', text: 'the same words again and again '.repeat(5) });

/** Echo, but also report what was negotiated. */
async function start(options: PerMessageDeflateOptions) {
  const negotiated = deferred<Conn>();
  const server = await rawServer(
    async (conn) => {
      negotiated.resolve(conn);
      try {
        for await (const { type, data } of conn) await conn.writeMessage(type, data);
      } catch {
        // ended
      }
    },
    { enableCompression: { threshold: 0, ...options } },
  );
  return { url: server.url, negotiated: negotiated.promise };
}

const clientOffers: Array<[string, WsDeflateOptions]> = [];
for (const serverNoContextTakeover of [false, true])
  for (const clientNoContextTakeover of [false, true])
    for (const serverMaxWindowBits of [undefined, 9, 15] as const)
      for (const clientMaxWindowBits of [true, 8, 12] as const) {
        // ws reads an explicit `false` as "refuse the parameter", which RFC 7692 lets a server add
        // on its own; leave it unset instead, as ws users do.
        // ws accepts `true` (offer the parameter without a value) although its typings say number.
        const offer: WsDeflateOptions = { threshold: 0, clientMaxWindowBits: clientMaxWindowBits as number };
        if (serverNoContextTakeover) offer.serverNoContextTakeover = true;
        if (clientNoContextTakeover) offer.clientNoContextTakeover = true;
        if (serverMaxWindowBits !== undefined) offer.serverMaxWindowBits = serverMaxWindowBits;
        clientOffers.push([JSON.stringify({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits }), offer]);
      }

const serverConfigs: Array<[string, PerMessageDeflateOptions]> = [
  ['server defaults', {}],
  ['server forces no context takeover both ways, small windows', { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 10 }],
];

describe('permessage-deflate: ws client ↔ our server', () => {
  for (const [serverName, serverOptions] of serverConfigs) {
    describe(serverName, () => {
      for (const [offerName, offer] of clientOffers) {
        it(`client offers ${offerName}`, async () => {
          const { url, negotiated } = await start(serverOptions);
          const { ws, next } = await wsClient(url, offer);
          expect(ws.extensions).toMatch(/^permessage-deflate/);
          const params = (await negotiated).compression!;
          expect(params).not.toBeNull();
          expect(params.serverNoContextTakeover).toBe(Boolean(offer.serverNoContextTakeover || serverOptions.serverNoContextTakeover));
          expect(params.clientNoContextTakeover).toBe(Boolean(offer.clientNoContextTakeover || serverOptions.clientNoContextTakeover));
          // Many messages with shared text: context takeover must keep both windows in step.
          for (let i = 0; i < 20; i++) ws.send(json(i));
          for (let i = 0; i < 20; i++) expect((await next()).data.toString()).toBe(json(i));
          // Empty, incompressible and fragmented messages.
          ws.send('');
          expect((await next()).data.length).toBe(0);
          const noise = randomBytes(50_000);
          ws.send(noise);
          expect((await next()).data.equals(noise)).toBe(true);
          ws.send('frag-1 ', { fin: false });
          ws.send('frag-2 ', { fin: false });
          ws.send('frag-3', { fin: true });
          expect((await next()).data.toString()).toBe('frag-1 frag-2 frag-3');
          const big = Buffer.from('x'.repeat(300_000) + 'end');
          ws.send(big);
          expect((await next()).data.equals(big)).toBe(true);
        });
      }
    });
  }

  it('server messages are really compressed (RSV1) and smaller on the wire', async () => {
    const { url } = await start({});
    const { ws, next } = await wsClient(url, { threshold: 0 });
    let wireBytes = 0;
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.on('data', (d: Buffer) => (wireBytes += d.length));
    const text = 'compress me please '.repeat(2000);
    ws.send(text);
    expect((await next()).data.toString()).toBe(text);
    expect(wireBytes).toBeLessThan(text.length / 10);
  });

  it('declines compression when not enabled on the server', async () => {
    const server = await rawServer(async () => {});
    const { ws } = await wsClient(server.url, {});
    expect(ws.extensions).toBe('');
  });

  it('enableWriteCompression(false) sends uncompressed; setCompressionLevel changes the level', async () => {
    const done = deferred();
    const server = await rawServer(
      async (conn) => {
        await conn.readMessage(); // "go": the client is watching the wire
        conn.enableWriteCompression(false);
        await conn.writeMessage(1, 'plain '.repeat(100));
        conn.enableWriteCompression(true);
        conn.setCompressionLevel(9);
        await conn.writeMessage(1, 'packed '.repeat(100));
        expect(() => conn.setCompressionLevel(10)).toThrow(RangeError);
        done.resolve();
      },
      { enableCompression: { threshold: 0 } },
    );
    const { ws, next } = await wsClient(server.url, {});
    const wire: Buffer[] = [];
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.on('data', (d: Buffer) => wire.push(Buffer.from(d)));
    ws.send('go');
    expect((await next()).data.toString()).toBe('plain '.repeat(100));
    expect((await next()).data.toString()).toBe('packed '.repeat(100));
    await done.promise;
    const frames = decodeFrames(wire);
    expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([
      [1, false],
      [1, true],
    ]);
  });
});
