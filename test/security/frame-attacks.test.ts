/**
 * Known attacks on the framing layer, each named after its class, against a real `serve()` over
 * loopback sockets: the close code the RFC names, a close reason that is exactly the intended
 * text, TCP closed, the server still serving, and the cost bounded (bytes buffered, bytes
 * inflated, live memory after a forced collection; never milliseconds).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conn } from '../../src/index.js';
import { Decompressor, type InflateSink } from '../../src/connection/permessage-deflate.js';
import { clientFrame } from '../helpers/raw-client.js';
import { deferred, echo, onCleanup, sleep } from '../helpers/servers.js';
import { OFFER_DEFLATE, deflateMessage, header64, tinyFragments } from './support/frames.js';
import { MiB, liveBytes } from './support/memory.js';
import { expectClose, expectStillServing, guardProcess, openClient, startTarget } from './support/target.js';

afterEach(() => vi.restoreAllMocks());

/** Waits until `read()` has stopped changing for a second: the server has taken all it will. */
async function settled(read: () => number): Promise<number> {
  let last = read();
  for (let still = 0; still < 5; ) {
    await sleep(200);
    const now = read();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

/** Counts every inflated byte the server produces, whatever happens to it afterwards. */
function countInflated(): { total: number } {
  const counter = { total: 0 };
  const begin = Decompressor.prototype.begin;
  vi.spyOn(Decompressor.prototype, 'begin').mockImplementation(function (this: Decompressor, sink: InflateSink) {
    return begin.call(this, {
      push: (piece) => {
        counter.total += piece.length;
        sink.push(piece);
      },
      done: () => sink.done(),
      fail: (err) => sink.fail(err),
    });
  });
  return counter;
}

describe('CVE-2020-27813 class: 64-bit frame lengths', () => {
  const limit = 1 << 20;
  const cases: Array<[string, bigint, number]> = [
    ['the top bit set', 1n << 63n, 1002],
    ['all 64 bits set', (1n << 64n) - 1n, 1002],
    ['2^53, past what a double holds exactly', 1n << 53n, 1009],
    ['2^62', 1n << 62n, 1009],
    ['just above the read limit', BigInt(limit) + 1n, 1009],
    ['a small length not minimally encoded', 125n, 1002],
  ];
  for (const [name, length, code] of cases) {
    it(`a length with ${name} → ${code} from the header alone, with nothing buffered`, async () => {
      guardProcess();
      const target = await startTarget({ readLimit: limit });
      const client = await openClient(target);
      client.write(header64(0x82, length)); // the header only: not one payload byte
      await expectClose(target, client, code);
      const conn = [...target.endings.values()][0]!.conn;
      expect(conn.readBufferedAmount).toBe(0);
      await expectStillServing(target);
    });
  }

  it('a second fragment whose length pushes the message past the read limit → 1009 at its header', async () => {
    guardProcess();
    const target = await startTarget({ readLimit: limit });
    const client = await openClient(target);
    client.send({ opcode: 2, fin: false, payload: Buffer.alloc(limit - 10) });
    client.write(header64(0x80, 0x10000n)); // the smallest length a 64-bit field may carry
    await expectClose(target, client, 1009);
    await expectStillServing(target);
  });

  it('payload sent after the refused header is never buffered', async () => {
    guardProcess();
    const target = await startTarget({ readLimit: limit });
    const client = await openClient(target);
    client.write(Buffer.concat([header64(0x82, BigInt(limit) * 4n), Buffer.alloc(4 * limit)]));
    await expectClose(target, client, 1009);
    expect(target.conns[0]!.readBufferedAmount).toBe(0);
  });
});

describe('deflate bombs', () => {
  const OPTIONS = { readLimit: MiB, enableCompression: true } as const;

  it('a deflate bomb (64 MiB of zeros in 64 KiB) → 1009, inflating little past the read limit', async () => {
    guardProcess();
    const inflated = countInflated();
    const target = await startTarget(OPTIONS);
    const client = await openClient(target, [OFFER_DEFLATE]);
    const bomb = deflateMessage(Buffer.alloc(64 * MiB));
    expect(bomb.length).toBeLessThan(128 * 1024);
    client.send({ opcode: 2, rsv1: true, payload: bomb });
    await expectClose(target, client, 1009);
    expect(inflated.total).toBeGreaterThan(MiB);
    expect(inflated.total).toBeLessThan(2 * MiB);
    await expectStillServing(target);
  });

  it('a deflate bomb in 1,000 fragments → 1009 the same way', async () => {
    guardProcess();
    const inflated = countInflated();
    const target = await startTarget(OPTIONS);
    const client = await openClient(target, [OFFER_DEFLATE]);
    const bomb = deflateMessage(Buffer.alloc(64 * MiB));
    const step = Math.ceil(bomb.length / 1000);
    const frames: Buffer[] = [];
    for (let at = 0; at < bomb.length; at += step) {
      frames.push(clientFrame({ opcode: at === 0 ? 1 : 0, rsv1: at === 0, fin: at + step >= bomb.length, payload: bomb.subarray(at, at + step) }));
    }
    client.write(Buffer.concat(frames));
    await expectClose(target, client, 1009);
    expect(inflated.total).toBeLessThan(2 * MiB);
    await expectStillServing(target);
  });

  it('a deflate bomb with context takeover, after a valid message → the valid one is echoed, then 1009', async () => {
    guardProcess();
    const target = await startTarget(OPTIONS);
    const client = await openClient(target, ['Sec-WebSocket-Extensions: permessage-deflate']);
    client.send({ opcode: 1, rsv1: true, payload: deflateMessage(Buffer.from('hello')) });
    const echoed = await client.nextFrame();
    expect(echoed.opcode).toBe(1);
    // The bomb is compressed as a continuation of the same DEFLATE stream would be; a fresh stream
    // is valid input too (it does not refer back to the window).
    client.send({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(16 * MiB)) });
    await expectClose(target, client, 1009);
    await expectStillServing(target);
  });

  it('many small deflate bombs to an application that does not read: inflation waits near readBufferSize, and nothing is lost', async () => {
    guardProcess();
    const inflated = countInflated();
    const readBufferSize = MiB;
    const count = 300;
    const zeros = Buffer.alloc(MiB - 1);
    const busy = deferred();
    onCleanup(() => busy.resolve());
    const delivered = deferred<number[]>();
    // The application is busy at first: it reads nothing. Each message is legal (1 MiB - 1, under
    // the 16 MiB read limit) and about 1 KiB on the wire.
    const target = await startTarget({ enableCompression: true, readBufferSize }, async (conn) => {
      await busy.promise;
      const sizes: number[] = [];
      for (let i = 0; i < count; i++) {
        const { data } = await conn.readMessage();
        sizes.push(data.equals(zeros) ? data.length : -1);
      }
      delivered.resolve(sizes);
      await conn.readMessage();
    });
    const client = await openClient(target, [OFFER_DEFLATE]);
    const one = clientFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(MiB - 1)) });
    client.write(Buffer.concat(Array.from({ length: count }, () => one))); // 300 MiB once inflated
    await expect.poll(() => target.conns.length).toBe(1);
    const conn = target.conns[0]!;
    await settled(() => inflated.total); // all the server inflates while the application is busy
    // Held for the application: what readBufferSize allows, plus the message under way.
    expect(conn.readBufferedAmount).toBeLessThan(readBufferSize + 2 * MiB);
    expect(inflated.total).toBeLessThan(readBufferSize + 2 * MiB);
    // Once it reads, every message comes, whole and in order.
    busy.resolve();
    expect(await delivered.promise).toEqual(Array.from({ length: count }, () => MiB - 1));
  });
});

describe('deflate bombs while the server closes', () => {
  it('compressed messages past the read buffer during the closing handshake are dropped, not inflated', async () => {
    guardProcess();
    const inflated = countInflated();
    const readBufferSize = 64 * 1024;
    // The first connection's application never reads; later ones echo.
    const target = await startTarget({ enableCompression: true, readBufferSize }, (conn) =>
      conn === target.conns[0] ? conn.closed.then(() => undefined) : echo(conn),
    );
    const client = await openClient(target, [OFFER_DEFLATE]);
    const one = clientFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(MiB - 1)) });
    client.send({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(128 * 1024)) }); // fills the read buffer
    await expect.poll(() => inflated.total).toBe(128 * 1024);
    const conn = target.conns[0]!;
    const closing = conn.close(1000, 'bye');
    expect((await client.nextFrame()).opcode).toBe(8);
    // While the server waits for our close frame it keeps reading (to find it), but what it reads
    // now has nowhere to go: 200 MiB of bombs, then our close.
    client.write(Buffer.concat(Array.from({ length: 200 }, () => one)));
    client.send({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
    await closing;
    expect(await conn.closed).toMatchObject({ code: 1000, wasClean: true, error: null });
    expect(await settled(() => inflated.total)).toBeLessThan(2 * MiB);
    await expectStillServing(target);
  });
});

describe('a million 1-byte fragments', () => {
  it('with the default maxFragments (131,072): 1009 before a million, nothing past the limit buffered', async () => {
    guardProcess();
    const target = await startTarget();
    const client = await openClient(target);
    client.write(tinyFragments(1_000_000));
    await expectClose(target, client, 1009);
    const conn = target.conns[0]!;
    expect(conn.readBufferedAmount).toBeLessThanOrEqual(131_072);
    await expectStillServing(target);
  });

  it('with maxFragments raised to 2,000,000: the message arrives whole, and memory stays near its size', async () => {
    guardProcess();
    const count = 1_000_000;
    const ready = deferred<Conn>();
    const measured = deferred<{ held: number; message: Buffer }>();
    // The read buffer counts memory (payload, entries, pinned chunks): room for the whole message.
    const target = await startTarget({ maxFragments: 2_000_000, readBufferSize: 4 * MiB }, async (conn) => {
      ready.resolve(conn);
      // Wait until the whole message is held, measure, then read it.
      while (conn.readBufferedAmount < count) await sleep(20);
      const held = liveBytes() - baseline;
      const { data } = await conn.readMessage();
      measured.resolve({ held, message: data });
      await conn.writeMessage(2, Buffer.from(String(data.length)));
      await conn.readMessage();
    });
    const bytes = tinyFragments(count);
    const client = await openClient(target);
    await ready.promise;
    const baseline = liveBytes();
    client.write(bytes);
    const { held, message } = await measured.promise;
    expect(message.length).toBe(count);
    for (const i of [0, 1, 250, 251, 999_999]) expect(message[i]).toBe(i % 251);
    // A million pieces of 1 byte, packed: about the message's size. Held as a million separate
    // buffers, they would cost over 100 MiB.
    expect(held).toBeLessThan(count + 16 * MiB);
    expect((await client.nextFrame(10_000)).payload.toString()).toBe(String(count));
  });
});

describe('control frame floods', () => {
  it('a ping flood from a peer that never reads its pongs: the pongs waiting are bounded', async () => {
    guardProcess();
    const writeHighWaterMark = 64 * 1024;
    const target = await startTarget({ writeHighWaterMark });
    const client = await openClient(target);
    client.socket.pause(); // never reads a pong
    const ping = clientFrame({ opcode: 9, payload: Buffer.alloc(125, 1) });
    client.write(Buffer.concat(Array.from({ length: 100_000 }, () => ping))); // 13 MB of pings
    await expect.poll(() => target.conns.length).toBe(1);
    const conn = target.conns[0]!;
    await settled(() => conn.bufferedAmount); // all the server takes in
    // What the kernel's socket buffers hold is outside the process; what the server queues is not.
    expect(conn.bufferedAmount).toBeLessThan(writeHighWaterMark + 1 * MiB);
    // Once the peer reads again, the output drains and reading resumes: every ping is answered.
    let received = 0;
    client.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    client.socket.resume();
    await expect.poll(() => received, { timeout: 20_000 }).toBeGreaterThanOrEqual(100_000 * 127); // 2-byte header + 125
    client.destroy();
    await expectStillServing(target);
  });
});
