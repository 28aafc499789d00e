/**
 * `queuePreparedMessage`: a broadcast's synchronous path. It queues the frame at once and says so,
 * or queues nothing and says that, in every state where the ordinary write would have to wait.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BinaryMessage, type Conn, Dialer, PreparedMessage, TextMessage } from '../../src/index.js';
import { deferred, echo, onCleanup, rawServer, serverConnAndRawClient } from '../helpers/servers.js';

const pair = serverConnAndRawClient;

describe('queuePreparedMessage', () => {
  it('queues at once, in order with the writes around it, and the frame arrives whole', async () => {
    const { conn, client } = await pair();
    const prepared = new PreparedMessage(TextMessage, 'to everyone');
    void conn.writeMessage(TextMessage, 'before');
    expect(conn.queuePreparedMessage(prepared)).toBe(true);
    expect(conn.bufferedAmount).toBeGreaterThan(0); // queued, visible to a slow-reader check
    void conn.writeMessage(TextMessage, 'after');
    const payloads = [];
    for (let i = 0; i < 3; i++) payloads.push((await client.nextFrame()).payload.toString());
    expect(payloads).toEqual(['before', 'to everyone', 'after']);
  });

  it('queues nothing while a message is being written in pieces', async () => {
    const { conn, client } = await pair();
    const writer = await conn.nextWriter(BinaryMessage);
    expect(conn.queuePreparedMessage(new PreparedMessage(TextMessage, 'must not interleave'))).toBe(false);
    await writer.write(Buffer.from('whole'));
    await writer.close();
    await conn.writeMessage(TextMessage, 'next');
    const first = await client.nextFrame();
    expect([first.opcode, first.payload.toString()]).toEqual([2, 'whole']);
    let next = await client.nextFrame();
    if (next.opcode === 0) next = await client.nextFrame(); // the writer's empty final fragment
    expect(next.payload.toString()).toBe('next');
  });

  it('returns false, without throwing, once the connection is closing or closed', async () => {
    const { conn, client } = await pair();
    const closing = conn.close(1000);
    expect(conn.queuePreparedMessage(new PreparedMessage(TextMessage, 'late'))).toBe(false);
    expect(await client.closeCode()).toBe(1000);
    client.destroy();
    await closing.catch(() => undefined);
    await conn.closed;
    expect(conn.queuePreparedMessage(new PreparedMessage(TextMessage, 'later'))).toBe(false);
  });

  it('leaves a message that this connection compresses to writePreparedMessage', async () => {
    const got = deferred<Conn>();
    const server = await rawServer((conn) => got.resolve(conn), { enableCompression: { threshold: 100 } });
    const ws = new WebSocket(server.url, { perMessageDeflate: {} });
    const received: string[] = [];
    const two = deferred();
    ws.on('message', (data: Buffer) => {
      received.push(data.toString());
      if (received.length === 2) two.resolve();
    });
    onCleanup(() => ws.terminate());
    const conn = await got.promise;
    const big = new PreparedMessage(TextMessage, 'compressible '.repeat(100));
    expect(conn.queuePreparedMessage(new PreparedMessage(TextMessage, 'small'))).toBe(true); // under the threshold
    expect(conn.queuePreparedMessage(big)).toBe(false);
    await conn.writePreparedMessage(big);
    await two.promise;
    expect(received).toEqual(['small', 'compressible '.repeat(100)]);
  });

  it('masks the frame on a client connection', async () => {
    const server = await rawServer(echo);
    const { conn } = await new Dialer().dial(server.url);
    onCleanup(() => conn.closeNow());
    const prepared = new PreparedMessage(BinaryMessage, Buffer.from([1, 2, 3, 4, 5]));
    expect(conn.queuePreparedMessage(prepared)).toBe(true);
    expect(conn.queuePreparedMessage(prepared)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const { type, data } = await conn.readMessage();
      expect([type, [...data]]).toEqual([BinaryMessage, [1, 2, 3, 4, 5]]);
    }
  });
});
