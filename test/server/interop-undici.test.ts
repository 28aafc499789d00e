/**
 * Our server against undici's WebSocket (the implementation behind Node's global WebSocket).
 */
import { WebSocket } from 'undici';
import { describe, expect, it } from 'vitest';
import { deferred, echo, onCleanup, rawServer } from '../helpers/servers.js';

async function open(url: string, protocols?: string[]): Promise<{ ws: WebSocket; next: () => Promise<string | Buffer> }> {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  const queue: Array<string | Buffer> = [];
  const waiters: Array<(m: string | Buffer) => void> = [];
  ws.addEventListener('message', (ev) => {
    const data = typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer);
    const w = waiters.shift();
    if (w) w(data);
    else queue.push(data);
  });
  onCleanup(() => ws.close());
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', (e) => reject(new Error(String((e as { message?: string }).message ?? 'error'))), { once: true });
  });
  const next = (): Promise<string | Buffer> => {
    const m = queue.shift();
    return m !== undefined ? Promise.resolve(m) : new Promise((resolve) => waiters.push(resolve));
  };
  return { ws, next };
}

describe('undici WebSocket ↔ our server', () => {
  it('echoes text, binary and empty messages of every length class', async () => {
    const server = await rawServer(echo);
    const { ws, next } = await open(server.url);
    for (const size of [0, 125, 126, 65535, 65536, 2 * 1024 * 1024]) {
      const text = 'ü'.repeat(size >> 1);
      ws.send(text);
      expect(await next()).toBe(text);
      const bin = Buffer.alloc(size, size & 0xff);
      ws.send(bin);
      expect(((await next()) as Buffer).equals(bin)).toBe(true);
    }
  });

  it('negotiates a subprotocol', async () => {
    const server = await rawServer(echo, { subprotocols: ['b', 'a'] });
    const { ws } = await open(server.url, ['a', 'b']);
    expect(ws.protocol).toBe('b');
  });

  it('exchanges close codes and reasons in both directions', async () => {
    const seen = deferred<unknown>();
    const server = await rawServer(async (conn) => {
      await conn.readMessage().catch((err: unknown) => seen.resolve(err));
    });
    const { ws } = await open(server.url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.addEventListener('close', (ev) => resolve({ code: ev.code, reason: ev.reason }), { once: true }),
    );
    ws.close(4500, 'client bye');
    expect(await seen.promise).toMatchObject({ code: 4500, text: 'client bye' });
    expect((await closed).code).toBe(4500);

    const server2 = await rawServer((conn) => conn.close(4001, 'server bye'));
    const { ws: ws2 } = await open(server2.url);
    const closed2 = await new Promise<{ code: number; reason: string }>((resolve) =>
      ws2.addEventListener('close', (ev) => resolve({ code: ev.code, reason: ev.reason }), { once: true }),
    );
    expect(closed2).toEqual({ code: 4001, reason: 'server bye' });
  });
});
