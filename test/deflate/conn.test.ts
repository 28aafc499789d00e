/**
 * Compression inside a connection: order with concurrent writers, the event loop kept free, close
 * after queued compressed writes, prepared messages.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BinaryMessage, type Conn, PreparedMessage, TextMessage } from '../../src/index.js';
import { deferred, onCleanup, rawServer } from '../helpers/servers.js';

async function pair(clientOptions: WebSocket.PerMessageDeflateOptions = {}, serverOptions = {}) {
  const got = deferred<Conn>();
  const server = await rawServer((conn) => got.resolve(conn), { enableCompression: { threshold: 100, ...serverOptions } });
  const ws = new WebSocket(server.url, { perMessageDeflate: clientOptions });
  const received: Buffer[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d: Buffer) => {
    received.push(d);
    waiters.splice(0).forEach((w) => w());
  });
  onCleanup(() => ws.terminate());
  const until = async (n: number): Promise<void> => {
    while (received.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { conn: await got.promise, ws, received, until };
}

describe('compression inside a connection', () => {
  it('keeps message order with concurrent writers, compressed and not', async () => {
    const { conn, received, until } = await pair();
    const sizes = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 10 : i % 3 === 1 ? 5000 : 200_000));
    await Promise.all(sizes.map((n, i) => conn.writeMessage(BinaryMessage, Buffer.alloc(n, i))));
    await until(sizes.length);
    received.forEach((d, i) => {
      expect(d.length).toBe(sizes[i]);
      expect(d[0]).toBe(i);
    });
  });

  it('does not block the event loop while compressing a large message', async () => {
    const { conn, until } = await pair();
    const big = Buffer.from('0123456789abcdef'.repeat(2 * 1024 * 1024)); // 32 MiB
    const order: string[] = [];
    const write = conn.writeMessage(BinaryMessage, big).then(() => order.push('written'));
    setImmediate(() => order.push('event loop turned'));
    await write;
    expect(order[0]).toBe('event loop turned');
    await until(1);
  });

  it('close() waits for writes still being compressed, then closes', async () => {
    const { conn, received, ws } = await pair();
    const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
    void conn.writeMessage(TextMessage, 'a long text '.repeat(100_000));
    await conn.close(4000, 'after the message');
    expect(await closed).toBe(4000);
    expect(received).toHaveLength(1);
    expect(received[0]!.length).toBe('a long text '.repeat(100_000).length);
  });

  it('streams a compressed message with nextWriter', async () => {
    const { conn, received, until } = await pair();
    const w = await conn.nextWriter(TextMessage);
    for (let i = 0; i < 10; i++) void w.write(`piece ${i} `.repeat(50));
    await w.close('end');
    await until(1);
    expect(received[0]!.toString()).toBe(Array.from({ length: 10 }, (_, i) => `piece ${i} `.repeat(50)).join('') + 'end');
  });

  for (const noContext of [true, false]) {
    it(`sends prepared messages compressed (${noContext ? 'shared form' : 'per connection, context takeover'})`, async () => {
      const a = await pair(noContext ? { serverNoContextTakeover: true } : {});
      const b = await pair(noContext ? { serverNoContextTakeover: true } : {});
      const pm = new PreparedMessage(TextMessage, 'broadcast text '.repeat(500));
      for (let i = 0; i < 3; i++) {
        await a.conn.writePreparedMessage(pm);
        await b.conn.writePreparedMessage(pm);
      }
      await a.until(3);
      await b.until(3);
      for (const d of [...a.received, ...b.received]) expect(d.toString()).toBe('broadcast text '.repeat(500));
    });
  }
});
