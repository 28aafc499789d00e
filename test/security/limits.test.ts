/**
 * Peers that hold resources by doing nothing: each limit of the table in the README that bounds
 * them, over real sockets (the head deadline, sizes and read limits are in the other files).
 */
import { describe, expect, it } from 'vitest';
import { BinaryMessage, type Conn, KeepaliveTimeoutError } from '../../src/index.js';
import { deferred, onCleanup } from '../helpers/servers.js';
import { settled } from '../helpers/settle.js';
import { MiB } from './support/memory.js';
import { expectStillServing, guardProcess, openClient, startTarget } from './support/target.js';

describe('peers that stop answering', () => {
  it('close handshake timeout: a peer that never answers our close frame is dropped after closeTimeout', async () => {
    guardProcess();
    const ended = deferred<Awaited<Conn['closed']>>();
    const target = await startTarget({ closeTimeout: 300 }, async (conn) => {
      await conn.close(1000, 'bye');
      ended.resolve(await conn.closed);
    });
    const client = await openClient(target);
    const close = await client.nextFrame();
    expect([close.opcode, close.payload.readUInt16BE(0)]).toEqual([8, 1000]);
    // We never answer, and keep the socket open.
    expect(await ended.promise).toMatchObject({ code: 1006, reason: '', wasClean: false });
    await client.waitClosed(10_000);
  });

  it('keepalive: a peer that goes silent is dropped after pingInterval + pongTimeout', async () => {
    guardProcess();
    const failure = deferred<unknown>();
    const target = await startTarget({ pingInterval: 200, pongTimeout: 300 }, async (conn) => {
      await conn.readMessage().catch(failure.resolve);
    });
    const client = await openClient(target);
    expect((await client.nextFrame()).opcode).toBe(9); // a ping, never answered
    expect(await failure.promise).toBeInstanceOf(KeepaliveTimeoutError);
    await client.waitClosed(10_000);
  });

  it('slow reader: writes to a peer that never reads wait at the high-water mark, holding one message', async () => {
    guardProcess();
    let written = 0;
    const target = await startTarget({ writeHighWaterMark: 64 * 1024 }, async (conn) => {
      if (conn !== target.conns[0]) {
        for await (const m of conn) await conn.writeMessage(m.type, m.data);
        return;
      }
      const message = Buffer.alloc(MiB, 1);
      for (let i = 0; i < 200; i++) {
        await conn.writeMessage(BinaryMessage, message);
        written++;
      }
    });
    const client = await openClient(target);
    client.socket.pause(); // never reads
    // At rest: the kernel's buffers are full, and the handler's next write waits.
    await settled(() => `${written}/${target.conns[0]?.bufferedAmount}`);
    const conn = target.conns[0]!;
    // The kernel's buffers take a few MiB; past them, each write waits for the last to drain.
    expect(written).toBeLessThan(200);
    expect(conn.bufferedAmount).toBeLessThanOrEqual(MiB + 64 * 1024);
    onCleanup(() => conn.closeNow());
    await expectStillServing(target);
  });

  it('slow reader with a write deadline: the stuck connection is closed', async () => {
    guardProcess();
    const outcome = deferred<unknown>();
    const target = await startTarget({}, async (conn) => {
      conn.setWriteDeadline(Date.now() + 500);
      const message = Buffer.alloc(MiB, 1);
      try {
        for (;;) await conn.writeMessage(BinaryMessage, message);
      } catch (err) {
        outcome.resolve(err);
      }
    });
    const client = await openClient(target);
    client.socket.pause();
    expect(String(await outcome.promise)).toMatch(/deadline/i);
    await expect.poll(() => target.conns[0]!.underlyingSocket.destroyed, { timeout: 10_000 }).toBe(true);
  });
});
