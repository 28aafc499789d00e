/**
 * Conn behaviour over real sockets: limits, deadlines, backpressure both ways, concurrency,
 * handlers, keepalive and the closing handshake.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  BinaryMessage,
  CloseError,
  CloseSentError,
  type Conn,
  DeadlineExceededError,
  IdleTimeoutError,
  KeepaliveTimeoutError,
  PingMessage,
  PongMessage,
  CloseMessage,
  PreparedMessage,
  ProtocolError,
  ReaderSupersededError,
  TextMessage,
  formatCloseMessage,
  isCloseError,
  isUnexpectedCloseError,
} from '../../src/index.js';
import { RawClient, clientFrame } from '../helpers/raw-client.js';
import { deferred, echo, onCleanup, rawServer, serverConnAndRawClient } from '../helpers/servers.js';
import { settled } from '../helpers/settle.js';

const pair = serverConnAndRawClient;

describe('reading', () => {
  it('setReadLimit: a larger message fails with 1009 and readMessage throws a ProtocolError', async () => {
    const { conn, client } = await pair();
    conn.setReadLimit(10);
    client.send({ opcode: 2, payload: Buffer.alloc(11) });
    await expect(conn.readMessage()).rejects.toMatchObject({ name: 'ProtocolError', closeCode: 1009 });
    expect(await client.closeCode()).toBe(1009);
  });

  it('delivers messages received before the peer closed, then throws CloseError', async () => {
    const { conn, client } = await pair();
    client.send({ opcode: 1, payload: Buffer.from('one') });
    client.send({ opcode: 1, payload: Buffer.from('two') });
    client.send({ opcode: 8, payload: formatCloseMessage(4100, 'done') });
    await client.closeCode();
    expect((await conn.readMessage()).data.toString()).toBe('one');
    expect((await conn.readMessage()).data.toString()).toBe('two');
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloseError);
    expect(isCloseError(err, 4100)).toBe(true);
    expect(isUnexpectedCloseError(err, 4100)).toBe(false);
    expect(isUnexpectedCloseError(err, 1000)).toBe(true);
    // The same error again: the connection is over.
    await expect(conn.readMessage()).rejects.toBe(err);
    expect(await conn.closed).toEqual({ code: 4100, reason: 'done', wasClean: true, error: null });
  });

  it('for await ends quietly on 1000, on a protocol error, and on a dropped connection; closeInfo says how', async () => {
    const a = await pair();
    a.client.send({ opcode: 1, payload: Buffer.from('x') });
    a.client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    const seen: string[] = [];
    for await (const m of a.conn) seen.push(m.data.toString());
    expect(seen).toEqual(['x']);

    const b = await pair();
    b.client.send({ opcode: 3 });
    for await (const _ of b.conn) void _;
    expect(b.conn.state).not.toBe('open');
    expect((await b.conn.closed).error).toBeInstanceOf(ProtocolError);
    expect(b.conn.closeInfo?.error).toMatchObject({ closeCode: 1002 });

    const c = await pair();
    c.client.send({ opcode: 1, payload: Buffer.from('y') });
    c.client.destroy();
    const got: string[] = [];
    for await (const m of c.conn) got.push(m.data.toString());
    expect(got).toEqual(['y']);
    const info = await c.conn.closed;
    expect(info).toMatchObject({ code: 1006, wasClean: false });
    expect(isCloseError(info.error, 1006)).toBe(true);
    expect(c.conn.closeInfo).toBe(info);
  });

  it('for await throws only what the application itself threw (a handler), and closes with 1011', async () => {
    const { conn, client } = await pair();
    conn.setPingHandler(() => {
      throw new Error('handler bug');
    });
    client.send({ opcode: 9, payload: Buffer.from('p') });
    const iterate = async (): Promise<void> => {
      for await (const _ of conn) void _;
    };
    await expect(iterate()).rejects.toThrow('handler bug');
    expect(await client.closeCode()).toBe(1011);
  });

  it('an abnormal end (TCP closed without a close frame) reads as CloseError 1006', async () => {
    const { conn, client } = await pair();
    client.destroy();
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(isCloseError(err, 1006)).toBe(true);
    expect((await conn.closed).wasClean).toBe(false);
  });

  it('setReadDeadline: a waiting read fails with DeadlineExceededError and the connection stays usable', async () => {
    const { conn, client } = await pair();
    conn.setReadDeadline(Date.now() + 100);
    await expect(conn.readMessage()).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(conn.readMessage()).rejects.toBeInstanceOf(DeadlineExceededError); // still past it
    conn.setReadDeadline(null);
    client.send({ opcode: 1, payload: Buffer.from('late') });
    expect((await conn.readMessage()).data.toString()).toBe('late');
  });

  it('an aborted read rejects with the reason and loses nothing', async () => {
    const { conn, client } = await pair();
    const ac = new AbortController();
    const pending = conn.readMessage({ signal: ac.signal });
    ac.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    client.send({ opcode: 1, payload: Buffer.from('kept') });
    expect((await conn.readMessage()).data.toString()).toBe('kept');
  });

  it('concurrent readMessage calls get messages in order', async () => {
    const { conn, client } = await pair();
    const reads = [conn.readMessage(), conn.readMessage(), conn.readMessage()];
    for (const t of ['a', 'b', 'c']) client.send({ opcode: 1, payload: Buffer.from(t) });
    expect((await Promise.all(reads)).map((m) => m.data.toString())).toEqual(['a', 'b', 'c']);
  });

  it('reads waiting in line: aborting the first and a middle one keeps the others in order', async () => {
    const { conn, client } = await pair();
    const first = new AbortController();
    const middle = new AbortController();
    const reads = [
      conn.readMessage({ signal: first.signal }),
      conn.readMessage(),
      conn.readMessage({ signal: middle.signal }),
      conn.readMessage(),
    ];
    first.abort(new Error('first gave up'));
    middle.abort(new Error('middle gave up'));
    await expect(reads[0]).rejects.toThrow('first gave up');
    await expect(reads[2]).rejects.toThrow('middle gave up');
    for (const t of ['a', 'b']) client.send({ opcode: 1, payload: Buffer.from(t) });
    expect((await Promise.all([reads[1]!, reads[3]!])).map((m) => m.data.toString())).toEqual(['a', 'b']);
  });

  it('a read deadline fails every read waiting in line, and reads work again after', async () => {
    const { conn, client } = await pair();
    const reads = [conn.readMessage(), conn.readMessage(), conn.readMessage()];
    conn.setReadDeadline(Date.now() - 1);
    for (const read of reads) await expect(read).rejects.toBeInstanceOf(DeadlineExceededError);
    conn.setReadDeadline(null);
    client.send({ opcode: 1, payload: Buffer.from('later') });
    expect((await conn.readMessage()).data.toString()).toBe('later');
  });

  it('nextReader streams pieces; a later read abandons the rest of the message', async () => {
    const { conn, client } = await pair();
    client.send({ opcode: 2, fin: false, payload: Buffer.from('part1') });
    const reader = await conn.nextReader();
    expect(reader.type).toBe(BinaryMessage);
    expect((await reader.read())?.toString()).toBe('part1');
    const next = conn.readMessage();
    await expect(reader.read()).rejects.toBeInstanceOf(ReaderSupersededError);
    client.send({ opcode: 0, payload: Buffer.from('part2') });
    client.send({ opcode: 1, payload: Buffer.from('second') });
    expect((await next).data.toString()).toBe('second');
  });

  it('read backpressure: a flood is held to about readBufferSize while the application does not read', async () => {
    const readBufferSize = 64 * 1024;
    const { conn, client } = await pair({ readBufferSize });
    const message = Buffer.alloc(16 * 1024, 7);
    const count = 1024; // 16 MiB in all
    for (let i = 0; i < count; i++) client.send({ opcode: 2, payload: message });
    // Until both ends are at rest: the server has taken all it will while nobody reads.
    await settled(() => `${conn.readBufferedAmount}/${client.socket.writableLength}`);
    // It did read, up to the mark; the mark counts memory (each queued message's entry, a read chunk
    // a small piece keeps alive), so the payload held may stop a little short of it.
    expect(conn.readBufferedAmount).toBeGreaterThanOrEqual(readBufferSize * 0.75);
    // One socket read (at most 64 KiB) can land after the pause decision.
    expect(conn.readBufferedAmount).toBeLessThanOrEqual(readBufferSize + 64 * 1024 + message.length);
    expect(client.socket.writableLength).toBeGreaterThan(4 * 1024 * 1024); // the rest waits at the sender
    for (let i = 0; i < count; i++) {
      const m = await conn.readMessage();
      expect(m.data.length).toBe(message.length);
    }
    expect(conn.readBufferedAmount).toBe(0);
  });
});

describe('writing', () => {
  it('refuses text that is not valid UTF-8 and data types that are not messages', async () => {
    const { conn } = await pair();
    await expect(conn.writeMessage(TextMessage, Buffer.from([0xff]))).rejects.toBeInstanceOf(TypeError);
    await expect(conn.writeMessage(9 as never, 'x')).rejects.toBeInstanceOf(TypeError);
  });

  it('messages written while a writer is open wait for it and keep their order', async () => {
    const { conn, client } = await pair();
    const writer = await conn.nextWriter(TextMessage);
    await writer.write('frag-1 ');
    const later = conn.writeMessage(TextMessage, 'after');
    await conn.writeControl(PingMessage, 'between');
    await writer.write('frag-2');
    await writer.close();
    await later;
    const frames = [await client.nextFrame(), await client.nextFrame(), await client.nextFrame(), await client.nextFrame(), await client.nextFrame()];
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [1, false, 'frag-1 '],
      [9, true, 'between'],
      [0, false, 'frag-2'],
      [0, true, ''],
      [1, true, 'after'],
    ]);
  });

  it('a writer refuses text that would not be valid UTF-8', async () => {
    const { conn } = await pair();
    const writer = await conn.nextWriter(TextMessage);
    await writer.write(Buffer.from([0xe2, 0x82])); // the start of €: fine so far
    await expect(writer.write(Buffer.from([0x41]))).rejects.toBeInstanceOf(TypeError);
    await expect(writer.close()).rejects.toBeInstanceOf(TypeError); // still incomplete
    await writer.close(Buffer.from([0xac]));
  });

  it('write backpressure: writes wait while the peer does not read, and all arrive once it does', async () => {
    const { conn, client } = await pair({ writeHighWaterMark: 64 * 1024 });
    client.socket.pause();
    const chunk = Buffer.alloc(256 * 1024, 3);
    let resolved = 0;
    const writes = Array.from({ length: 64 }, () => conn.writeMessage(BinaryMessage, chunk).then(() => resolved++));
    // At rest: the kernel's buffers are full and the remaining writes wait (16 MiB is far more
    // than loopback buffers hold).
    expect(await settled(() => resolved)).toBeLessThan(64);
    client.socket.resume();
    await Promise.all(writes);
    for (let i = 0; i < 64; i++) expect((await client.nextFrame(10_000)).payload.length).toBe(chunk.length);
  });

  it('setWriteDeadline: a write blocked past the deadline fails and the connection is closed', async () => {
    const { conn, client } = await pair();
    client.socket.pause();
    conn.setWriteDeadline(Date.now() + 200);
    const chunk = Buffer.alloc(1024 * 1024);
    let failure: unknown;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      await conn.writeMessage(BinaryMessage, chunk).catch((e: unknown) => (failure = e));
    }
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect((await conn.closed).wasClean).toBe(false);
  });

  it('PreparedMessage frames once and sends to many connections', async () => {
    const conns: Conn[] = [];
    const all = deferred();
    const server = await rawServer((conn) => {
      conns.push(conn);
      if (conns.length === 5) all.resolve();
    });
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.open(server.port)));
    onCleanup(() => clients.forEach((c) => c.destroy()));
    await all.promise;
    const pm = new PreparedMessage(TextMessage, 'to everyone');
    expect(pm.serverFrame()).toBe(pm.serverFrame()); // encoded once
    await Promise.all(conns.map((c) => c.writePreparedMessage(pm)));
    for (const c of clients) expect((await c.nextFrame()).payload.toString()).toBe('to everyone');
    expect(() => new PreparedMessage(TextMessage, Buffer.from([0xc0]))).toThrow(TypeError);
  });

  it('writes after close fail with CloseSentError', async () => {
    const { conn, client } = await pair();
    const closing = conn.close(1000);
    await expect(conn.writeMessage(TextMessage, 'late')).rejects.toBeInstanceOf(CloseSentError);
    await expect(conn.writeControl(PingMessage)).rejects.toBeInstanceOf(CloseSentError);
    expect(await client.closeCode()).toBe(1000);
    client.send({ opcode: 8, payload: formatCloseMessage(1000) });
    await closing;
  });
});

describe('control frames and handlers', () => {
  it('ping() resolves with the round-trip time when the matching pong arrives', async () => {
    const { conn, client } = await pair();
    const started = performance.now();
    const rtt = conn.ping('abc');
    const ping = await client.nextFrame();
    expect(ping).toMatchObject({ opcode: 9 });
    expect(ping.payload.toString()).toBe('abc');
    client.send({ opcode: 10, payload: Buffer.from('unrelated') });
    client.send({ opcode: 10, payload: Buffer.from('abc') });
    const measured = await rtt;
    // A time in ms within the span the test itself saw (not a timestamp, not negative, not NaN).
    expect(measured).toBeGreaterThanOrEqual(0);
    expect(measured).toBeLessThanOrEqual(performance.now() - started);
  });

  it('a custom ping handler replaces the automatic pong', async () => {
    const { conn, client } = await pair();
    const seen = deferred<string>();
    conn.setPingHandler((data) => {
      seen.resolve(data.toString());
      void conn.writeControl(PongMessage, Buffer.from('custom'));
    });
    void conn.readMessage().catch(() => {});
    client.send({ opcode: 9, payload: Buffer.from('p') });
    expect(await seen.promise).toBe('p');
    expect((await client.nextFrame()).payload.toString()).toBe('custom');
  });

  it('the pong handler sees every pong', async () => {
    const { conn, client } = await pair();
    const pongs: string[] = [];
    conn.setPongHandler((d) => pongs.push(d.toString()));
    client.send({ opcode: 10, payload: Buffer.from('u1') });
    client.send({ opcode: 10, payload: Buffer.from('u2') });
    await expect.poll(() => pongs).toEqual(['u1', 'u2']);
  });

  it('a close handler runs on the close frame and may answer with its own code', async () => {
    const { conn, client } = await pair();
    const seen = deferred<[number, string]>();
    conn.setCloseHandler((code, text) => {
      seen.resolve([code, text]);
      void conn.writeControl(CloseMessage, formatCloseMessage(4999, 'my answer')).catch(() => {});
    });
    void conn.readMessage().catch(() => {});
    client.send({ opcode: 8, payload: formatCloseMessage(4001, 'why') });
    expect(await seen.promise).toEqual([4001, 'why']);
    expect(await client.closeCode()).toBe(4999);
  });

  it('writeControl takes a deadline as gorilla does, or options', async () => {
    const { conn, client } = await pair();
    await conn.writeControl(PingMessage, 'd1', new Date(Date.now() + 1000));
    await conn.writeControl(PingMessage, 'd2', { deadline: Date.now() + 1000 });
    expect((await client.nextFrame()).payload.toString()).toBe('d1');
    expect((await client.nextFrame()).payload.toString()).toBe('d2');
  });

  it('writeControl refuses a control payload over 125 bytes and an invalid close payload', async () => {
    const { conn } = await pair();
    await expect(conn.writeControl(PingMessage, Buffer.alloc(126))).rejects.toBeInstanceOf(RangeError);
    await expect(conn.writeControl(CloseMessage, Buffer.from([0x03, 0xed]))).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('failing the connection (§7.1.7)', () => {
  it('answers the messages that arrived before a bad frame, then sends the failure close', async () => {
    const server = await rawServer(echo);
    const client = await RawClient.open(server.port);
    onCleanup(() => client.destroy());
    client.write(Buffer.concat([clientFrame({ opcode: 1, payload: Buffer.from('before') }), clientFrame({ opcode: 5 })]));
    const echoed = await client.nextFrame();
    expect(echoed.payload.toString()).toBe('before');
    expect(await client.closeCode()).toBe(1002);
    await client.waitClosed();
  });

  it('sends the failure close without waiting when nothing is left to read', async () => {
    const { conn, client } = await pair({ closeTimeout: 60_000 });
    client.send({ opcode: 5 });
    expect(await client.closeCode()).toBe(1002);
    await expect(conn.readMessage()).rejects.toMatchObject({ closeCode: 1002 });
  });

  it('does not wait for ever for an application that does not read: closeTimeout bounds it', async () => {
    const { conn, client } = await pair({ closeTimeout: 200 });
    client.write(Buffer.concat([clientFrame({ opcode: 2, payload: Buffer.from([1]) }), clientFrame({ opcode: 3 })]));
    expect(await client.closeCode()).toBe(1002);
    await client.waitClosed();
    expect((await conn.readMessage()).data).toEqual(Buffer.from([1])); // still delivered
  });
});

describe('closing', () => {
  it('close() performs the handshake and resolves once TCP is closed; the server closes first', async () => {
    const { conn, client } = await pair();
    const closing = conn.close(4002, 'bye');
    expect(conn.close()).toBe(closing); // idempotent
    expect(await client.closeCode()).toBe(4002);
    client.send({ opcode: 8, payload: formatCloseMessage(4002) });
    await closing;
    await client.waitClosed();
    expect(client.ended).toBe(true);
    expect(await conn.closed).toEqual({ code: 4002, reason: '', wasClean: true, error: null });
  });

  it('close() gives up after closeTimeout when the peer never answers', async () => {
    const { conn, client } = await pair({ closeTimeout: 200 });
    const started = Date.now();
    await conn.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await conn.closed).wasClean).toBe(false);
    await client.waitClosed();
  });

  it('close() refuses an invalid code without sending anything', async () => {
    const { conn } = await pair();
    await expect(conn.close(1005 + 1)).rejects.toBeInstanceOf(RangeError);
    await expect(conn.close(999)).rejects.toBeInstanceOf(RangeError);
    conn.closeNow();
  });

  it('closeNow() drops the connection at once and is idempotent', async () => {
    const { conn, client } = await pair();
    conn.closeNow();
    conn.closeNow();
    await client.waitClosed();
    expect((await conn.closed).code).toBe(1006);
    await expect(conn.readMessage()).rejects.toSatisfy((e: unknown) => isCloseError(e, 1006));
  });
});

describe('idle timeout', () => {
  /** Long beside one echo's round trip, however loaded the machine: messages spaced by those never let it fire. */
  const IDLE = 1500;

  it('closes with 1001 a connection on which no message arrives, and for await ends quietly', async () => {
    const ended = deferred<unknown>();
    const server = await rawServer(
      async (conn) => {
        try {
          for await (const m of conn) await conn.writeMessage(m.type, m.data);
          ended.resolve('iteration ended');
        } catch (err) {
          ended.resolve(err);
        }
      },
      { idleTimeout: IDLE },
    );
    const client = await RawClient.open(server.port);
    onCleanup(() => client.destroy());
    // Messages keep it alive: echoes back to back, each well within the timeout even on a loaded
    // machine, for twice the timeout in all.
    const started = performance.now();
    for (let i = 0; performance.now() - started < 2 * IDLE; i++) {
      client.send({ opcode: 1, payload: Buffer.from(`tick ${i}`) });
      expect((await client.nextFrame()).payload.toString()).toBe(`tick ${i}`);
    }
    // ...pings do not: a live peer that sends no data is what this timeout is for.
    client.send({ opcode: 9 });
    expect((await client.nextFrame()).opcode).toBe(10);
    const close = await client.nextFrame();
    expect(close.opcode).toBe(8);
    expect(close.payload.readUInt16BE(0)).toBe(1001);
    expect(close.payload.subarray(2).toString()).toBe('idle timeout');
    client.send({ opcode: 8, payload: formatCloseMessage(1001) });
    expect(await ended.promise).toBe('iteration ended');
    await client.waitClosed();
  });

  it('readMessage reports IdleTimeoutError, a close error with 1001', async () => {
    const { conn, client } = await pair({ idleTimeout: 200 });
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdleTimeoutError);
    expect(isCloseError(err, 1001)).toBe(true);
    expect(await client.closeCode()).toBe(1001);
  });
});

describe('keepalive', () => {
  it('drops a peer that stops answering, with KeepaliveTimeoutError', async () => {
    const { conn, client } = await pair({ pingInterval: 100, pongTimeout: 100 });
    expect((await client.nextFrame()).opcode).toBe(9); // the raw client never answers
    const err = await conn.readMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeepaliveTimeoutError);
    expect(isCloseError(err, 1006)).toBe(true);
    await client.waitClosed();
  });

  it('keeps a peer that answers pings (ws) connected', async () => {
    const got = deferred<Conn>();
    const server = await rawServer((conn) => got.resolve(conn), { pingInterval: 50, pongTimeout: 100 });
    const ws = new WebSocket(server.url);
    onCleanup(() => ws.terminate());
    const threePings = deferred();
    let pings = 0;
    ws.on('ping', () => {
      if (++pings === 3) threePings.resolve(); // ws answers each with a pong
    });
    const conn = await got.promise;
    await threePings.promise; // three intervals, each answered within pongTimeout: still connected
    ws.send('still here');
    expect((await conn.readMessage()).data.toString()).toBe('still here');
  });
});
