/**
 * Many WebSockets on one HTTP/2 session: 100 echo at once, resetting one leaves the others working,
 * and a reader that stops reading holds only its own stream's window (RFC 8441 §5: HTTP/2 flow
 * control is the backpressure), bounded in bytes, while the other streams go on.
 */
import { constants } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { BinaryMessage, type Conn } from '../../src/index.js';
import { RawStream, connectHeaders, echo, h2Server, h2Session } from './h2-helpers.js';

const OP_TEXT = 0x1;

describe('many WebSockets over one HTTP/2 session', () => {
  it('100 streams all echo; resetting one leaves the other 99 working', { timeout: 60_000 }, async () => {
    const server = await h2Server(echo);
    const session = await h2Session(server.port);
    const streams = Array.from({ length: 100 }, () => RawStream.open(session, connectHeaders(server.port)));
    await Promise.all(streams.map((s) => s.readResponse()));
    streams.forEach((s, i) => s.send({ opcode: OP_TEXT, payload: Buffer.from(`hello ${i}`) }));
    const first = await Promise.all(streams.map((s) => s.nextFrame()));
    expect(first.map((f) => f.payload.toString())).toEqual(streams.map((_, i) => `hello ${i}`));
    expect(server.conns).toHaveLength(100);

    const victim = streams[42]!;
    victim.stream.close(constants.NGHTTP2_CANCEL);
    await victim.waitClosed();

    const others = streams.filter((s) => s !== victim);
    others.forEach((s, i) => s.send({ opcode: OP_TEXT, payload: Buffer.from(`again ${i}`) }));
    const second = await Promise.all(others.map((s) => s.nextFrame()));
    expect(second.map((f) => f.payload.toString())).toEqual(others.map((_, i) => `again ${i}`));
    const infos = await Promise.all(server.conns.map((c) => Promise.race([c.closed, Promise.resolve(null)])));
    const closed = infos.filter((info) => info !== null);
    // The reset reached exactly one connection, as an abnormal closure.
    await expect.poll(() => server.conns.filter((c) => c.underlyingSocket.destroyed).length).toBe(1);
    expect(closed.every((info) => info!.code === 1006)).toBe(true);
    expect(session.destroyed).toBe(false);
  });

  it('a stream whose reader stops holds its own window, not the session: the others go on', { timeout: 60_000 }, async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 16 * 1024 * 1024;
    let slowConn: Conn | null = null;
    let handedOver = 0;
    let writerDone = false;
    const server = await h2Server(async (conn) => {
      if (slowConn !== null) return echo(conn);
      slowConn = conn;
      // Writes as fast as the stream takes them: flow control alone holds it back.
      const chunk = Buffer.alloc(CHUNK, 1);
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        await conn.writeMessage(BinaryMessage, chunk);
        handedOver += CHUNK;
      }
      writerDone = true;
    });
    const session = await h2Session(server.port);
    const slow = RawStream.open(session, connectHeaders(server.port));
    await slow.readResponse();
    slow.stream.pause(); // the reader that does not read
    await expect.poll(() => slowConn).not.toBeNull();

    const others = Array.from({ length: 5 }, () => RawStream.open(session, connectHeaders(server.port)));
    await Promise.all(others.map((s) => s.readResponse()));
    // 5 × 40 × 32 KiB = 6.25 MiB through the same session, far past any window.
    const payload = Buffer.alloc(32 * 1024, 2);
    for (let round = 0; round < 40; round++) {
      for (const s of others) s.send({ opcode: 0x2, payload });
      const frames = await Promise.all(others.map((s) => s.nextFrame()));
      for (const f of frames) expect(f.payload.length).toBe(payload.length);
    }
    // Bounded by bytes: the stream window (64 KiB), Node's buffers on both ends and the
    // connection's write buffer; nowhere near the 16 MiB the handler wants to send.
    expect(writerDone).toBe(false);
    expect(handedOver).toBeLessThan(2 * 1024 * 1024);

    // Reading again drains it all.
    let received = 0;
    slow.stream.removeAllListeners('data');
    slow.stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    slow.stream.resume();
    await expect.poll(() => writerDone, { timeout: 30_000 }).toBe(true);
    await expect.poll(() => received, { timeout: 30_000 }).toBeGreaterThanOrEqual(TOTAL);
  });
});
