/**
 * Issue: with `pingInterval: 200, pongTimeout: 300, readBufferSize: 1024`, a `ws` peer that sent
 * one 4 KiB message (not yet read) and answered every ping was dropped with a keepalive timeout:
 * our own backpressure had paused the socket, so its pongs were never read. Liveness now does not
 * judge a peer while we hold its bytes unread. Counted in pings answered, not in time.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Conn } from '../../src/index.js';
import { onCleanup, rawServer } from '../helpers/servers.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('liveness that our own backpressure cannot fool', () => {
  it.each([
    ['keepalive', { pingInterval: 200, pongTimeout: 300 }],
    ['keepalive and idle timeout', { pingInterval: 200, pongTimeout: 300, idleTimeout: 300 }],
  ])('%s: a peer answering pings while its data waits unread is kept for 10 ping intervals', async (_name, timing) => {
    const connReady = deferred<Conn>();
    const startReading = deferred<void>();
    const server = await rawServer(
      async (conn) => {
        connReady.resolve(conn);
        await startReading.promise;
        const { data } = await conn.readMessage();
        await conn.writeMessage(2, Buffer.from(String(data.length)));
        await conn.readMessage().catch(() => {});
      },
      { readBufferSize: 1024, ...timing },
    );
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    onCleanup(() => ws.terminate());
    await once(ws, 'open');
    const conn = await connReady.promise;
    ws.send(Buffer.alloc(4096, 1));
    // The 4 KiB message is over the read buffer: the server stops reading, yet its pings go out
    // and ws answers each; those pongs wait unread behind the message.
    const socket = conn.underlyingSocket;
    if (!socket.isPaused()) await once(socket, 'pause');
    let pings = 0;
    const tenPings = deferred<void>();
    ws.on('ping', () => {
      if (++pings === 10) tenPings.resolve();
    });
    const ended = conn.closed.then(() => 'closed');
    expect(await Promise.race([tenPings.promise.then(() => 'ten pings'), ended])).toBe('ten pings');
    expect(conn.state).toBe('open');
    startReading.resolve();
    const [reply] = (await once(ws, 'message')) as [Buffer];
    expect(reply.toString()).toBe('4096');
  }, 30_000);

  it('a peer that really is silent is still dropped, with KeepaliveTimeoutError on closed', async () => {
    const connReady = deferred<Conn>();
    const server = await rawServer(
      async (conn) => {
        connReady.resolve(conn);
        for await (const _ of conn) void _;
      },
      { pingInterval: 100, pongTimeout: 100 },
    );
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { autoPong: false });
    onCleanup(() => ws.terminate());
    await once(ws, 'open');
    ws.pause(); // reads nothing, answers nothing
    const conn = await connReady.promise;
    const info = await conn.closed;
    expect(info.code).toBe(1006);
    expect(info.error?.name).toBe('KeepaliveTimeoutError');
  }, 30_000);
});
