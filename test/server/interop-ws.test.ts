/**
 * Our server against a peer written by others: the `ws` package as the client.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BinaryMessage, type Conn, TextMessage } from '../../src/index.js';
import { deferred, echo, httpServer, onCleanup, rawServer } from '../helpers/servers.js';

interface Received {
  data: Buffer;
  isBinary: boolean;
}
const inboxes = new WeakMap<WebSocket, { queue: Received[]; waiters: Array<(m: Received) => void> }>();

/** Opens a ws client that queues every message from the start (ws does not buffer events). */
function open(url: string, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  const inbox = { queue: [] as Received[], waiters: [] as Array<(m: Received) => void> };
  inboxes.set(ws, inbox);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const waiter = inbox.waiters.shift();
    if (waiter) waiter({ data, isBinary });
    else inbox.queue.push({ data, isBinary });
  });
  onCleanup(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Received> {
  const inbox = inboxes.get(ws)!;
  const queued = inbox.queue.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve) => inbox.waiters.push(resolve));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

for (const kind of ['raw node:net', 'node:http'] as const) {
  const start = async (handler: (conn: Conn) => void | Promise<void>, options = {}): Promise<string> => {
    if (kind === 'raw node:net') return `${(await rawServer(handler, options)).url}/`;
    return `ws://127.0.0.1:${(await httpServer(handler, options)).port}/`;
  };

  describe(`ws client ↔ our server (${kind})`, () => {
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 3 * 1024 * 1024 + 7];
    for (const size of sizes) {
      it(`echoes text and binary messages of ${size} bytes`, async () => {
        const ws = await open(await start(echo));
        const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2);
        ws.send(text);
        const t = await nextMessage(ws);
        expect(t.isBinary).toBe(false);
        expect(t.data.toString()).toBe(text);
        const bin = Buffer.alloc(size);
        for (let i = 0; i < size; i++) bin[i] = (i * 7) & 0xff;
        ws.send(bin);
        const b = await nextMessage(ws);
        expect(b.isBinary).toBe(true);
        expect(b.data.equals(bin)).toBe(true);
      });
    }

    it('reassembles fragmented messages sent by ws', async () => {
      const ws = await open(await start(echo));
      ws.send('Hel', { fin: false });
      ws.send('lo, ', { fin: false });
      ws.send('world', { fin: true });
      expect((await nextMessage(ws)).data.toString()).toBe('Hello, world');
    });

    it('answers pings from ws with pongs carrying the same payload', async () => {
      const ws = await open(await start(echo));
      const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
      ws.ping(Buffer.from('are you there'));
      expect((await pong).toString()).toBe('are you there');
    });

    it('pings ws and resolves with the round-trip time when the pong comes', async () => {
      const rtt = deferred<{ measured: number; span: number }>();
      const ws = await open(
        await start(async (conn) => {
          const started = performance.now();
          const measured = await conn.ping();
          rtt.resolve({ measured, span: performance.now() - started });
        }),
      );
      expect(ws.readyState).toBe(WebSocket.OPEN);
      // Milliseconds within the span the server's handler saw: not a timestamp, not negative.
      const { measured, span } = await rtt.promise;
      expect(measured).toBeGreaterThanOrEqual(0);
      expect(measured).toBeLessThanOrEqual(span);
    });

    it('passes close codes and reasons from ws to the server', async () => {
      const seen = deferred<unknown>();
      const ws = await open(
        await start(async (conn) => {
          try {
            await conn.readMessage();
          } catch (err) {
            seen.resolve(err);
          }
        }),
      );
      const done = closed(ws);
      ws.close(4321, 'bye now');
      expect(await seen.promise).toMatchObject({ name: 'CloseError', code: 4321, text: 'bye now' });
      expect((await done).code).toBe(4321); // echoed
    });

    it('passes close codes and reasons from the server to ws', async () => {
      const ws = await open(await start((conn) => conn.close(4000, 'server says bye')));
      expect(await closed(ws)).toEqual({ code: 4000, reason: 'server says bye' });
    });

    it('negotiates the first server-preferred subprotocol the client offered', async () => {
      const chosen = deferred<string>();
      const ws = await open(await start((conn) => chosen.resolve(conn.subprotocol), { subprotocols: ['v2', 'v1'] }), ['v1', 'v2']);
      expect(ws.protocol).toBe('v2');
      expect(await chosen.promise).toBe('v2');
    });

    it('streams a message out in fragments with nextWriter, with a ping in between', async () => {
      const ws = await open(
        await start(async (conn) => {
          await conn.readMessage(); // "go": the client is listening
          const w = await conn.nextWriter(TextMessage);
          await w.write('one ');
          await conn.writeControl(0x9, Buffer.from('mid'));
          await w.write('two ');
          await w.close('three');
        }),
      );
      const ping = new Promise<Buffer>((resolve) => ws.once('ping', resolve));
      ws.send('go');
      expect((await nextMessage(ws)).data.toString()).toBe('one two three');
      expect((await ping).toString()).toBe('mid');
    });

    it('streams a large message in with nextReader without holding it whole', async () => {
      const total = deferred<{ pieces: number; bytes: number }>();
      const ws = await open(
        await start(async (conn) => {
          const reader = await conn.nextReader();
          let pieces = 0;
          let bytes = 0;
          for await (const piece of reader) {
            pieces++;
            bytes += piece.length;
          }
          total.resolve({ pieces, bytes });
        }),
      );
      ws.send(Buffer.alloc(4 * 1024 * 1024, 1));
      const { pieces, bytes } = await total.promise;
      expect(bytes).toBe(4 * 1024 * 1024);
      expect(pieces).toBeGreaterThan(1);
    });

    it('writes JSON and reads JSON', async () => {
      const got = deferred<unknown>();
      const ws = await open(
        await start(async (conn) => {
          got.resolve(await conn.readJSON());
          await conn.writeJSON({ ok: true, n: [1, 2] });
        }),
      );
      ws.send(JSON.stringify({ hello: 'world' }));
      expect(await got.promise).toEqual({ hello: 'world' });
      expect(JSON.parse((await nextMessage(ws)).data.toString())).toEqual({ ok: true, n: [1, 2] });
    });

    it('keeps concurrent writes whole and in order', async () => {
      const ws = await open(
        await start(async (conn) => {
          await Promise.all(Array.from({ length: 200 }, (_, i) => conn.writeMessage(BinaryMessage, Buffer.alloc(1000 + i * 300, i))));
        }),
      );
      for (let i = 0; i < 200; i++) {
        const { data } = await nextMessage(ws);
        expect(data.length).toBe(1000 + i * 300);
        expect(data.every((b) => b === (i & 0xff))).toBe(true);
      }
    });
  });
}
