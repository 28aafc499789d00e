/**
 * zlib on this thread (zlib-inline.ts) and on the thread pool, side by side: the same bytes out
 * of both paths, interop with Node's own zlib streams both ways across every window size, context
 * takeover or not, message sizes around each limit; which path a message takes; a bomb stopped
 * on this thread; and the pool forced (as on a Node without the native handle) end to end.
 */
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Compressor, Decompressor, type InflateSink } from '../../src/connection/permessage-deflate.js';
import { inlineZlibAvailable, setInlineZlib } from '../../src/connection/zlib-inline.js';
import { DEFLATE_TRAILER } from '../../src/protocol/deflate-codec.js';
import { PeerCodec } from '../conformance/harness/deflate.js';
import { RawClient, clientFrame } from '../helpers/raw-client.js';
import { echo, onCleanup, rawServer } from '../helpers/servers.js';

const KiB = 1024;

const withoutTrailer = (b: Buffer): Buffer => (b.subarray(-4).equals(DEFLATE_TRAILER) ? b.subarray(0, -4) : b);

/** One message deflated by Node's public one-shot API, as sent (§7.2.1): no context. */
const deflated = (data: Buffer): Buffer => withoutTrailer(deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }));

/** Node's zlib streams (on its thread pool) as the peer of a server whose direction has these settings. */
function nodePeer(windowBits: number, noContextTakeover: boolean): PeerCodec {
  const agreement = { serverMaxWindowBits: windowBits, clientMaxWindowBits: windowBits, serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover };
  return new PeerCodec(agreement, 'client');
}

/** Inflates one message with our decompressor; resolves with its bytes or rejects with zlib's error. */
function inflateWith(d: Decompressor, payload: Buffer, pieceSize = payload.length): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    const job = d.begin({ push: (p) => pieces.push(p), done: () => resolve(Buffer.concat(pieces)), fail: reject });
    for (let at = 0; at < payload.length; at += Math.max(1, pieceSize)) d.write(job, payload.subarray(at, at + pieceSize));
    d.end(job);
  });
}

/** Sizes on both sides of every limit: 16 KiB and 64 KiB (deflate), 64 KiB compressed and 128 KiB out (inflate). */
const SIZES = [0, 1, 100, 16 * KiB - 1, 16 * KiB, 16 * KiB + 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 128 * KiB + 7, 300 * KiB];

const contentArb = fc.record({
  size: fc.constantFrom(...SIZES),
  kind: fc.constantFrom('text', 'random', 'zeros'),
  pieceSize: fc.constantFrom(1 << 30, 1000, 17 * KiB),
});
function content(size: number, kind: string): Buffer {
  if (kind === 'random') return randomBytes(size);
  if (kind === 'zeros') return Buffer.alloc(size);
  return Buffer.from(Array.from({ length: Math.ceil(size / 40) + 1 }, (_, i) => `{"id":${i},"name":"item ${i % 97}"},`).join('').slice(0, size));
}

const CONFIGS: Array<{ windowBits: number; noContextTakeover: boolean; level: number }> = [];
for (const windowBits of [8, 9, 11, 15]) for (const noContextTakeover of [false, true]) CONFIGS.push({ windowBits, noContextTakeover, level: 1 });
CONFIGS.push({ windowBits: 15, noContextTakeover: false, level: 6 }, { windowBits: 10, noContextTakeover: true, level: 9 });

it('the native handle passes its check on this Node (so the tests below run both paths)', () => {
  expect(inlineZlibAvailable()).toBe(true);
});

for (const path of ['this thread', 'the pool only'] as const) {
  describe(`interop with Node's zlib streams, ${path}`, () => {
    beforeAll(() => setInlineZlib(path === 'this thread'));
    afterAll(() => setInlineZlib(true));

    for (const config of CONFIGS) {
      const name = `window ${config.windowBits}, ${config.noContextTakeover ? 'no ' : ''}context takeover, level ${config.level}`;

      it(`property: ours deflates, Node inflates (${name})`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(contentArb, { minLength: 1, maxLength: 5 }), async (messages) => {
            const ours = new Compressor({ ...config, memLevel: 8 });
            const node = nodePeer(config.windowBits, config.noContextTakeover);
            try {
              for (const m of messages) {
                const data = content(m.size, m.kind);
                expect((await node.inflate(await ours.compress(data))).equals(data)).toBe(true);
              }
            } finally {
              ours.close();
              node.close();
            }
          }),
          { numRuns: 6 },
        );
      });

      it(`property: Node deflates, ours inflates, whole or in pieces (${name})`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(contentArb, { minLength: 1, maxLength: 5 }), async (messages) => {
            const ours = new Decompressor(config.windowBits, config.noContextTakeover);
            const node = nodePeer(config.windowBits, config.noContextTakeover);
            try {
              for (const m of messages) {
                const data = content(m.size, m.kind);
                expect((await inflateWith(ours, await node.compress(data), m.pieceSize)).equals(data)).toBe(true);
              }
            } finally {
              ours.close();
              node.close();
            }
          }),
          { numRuns: 6 },
        );
      });
    }

    it('both paths make the same bytes (context takeover, a run of messages)', async () => {
      const messages = SIZES.map((size, i) => content(size, i % 2 === 0 ? 'text' : 'random'));
      const outputs: Buffer[][] = [];
      for (const inline of [true, false]) {
        setInlineZlib(inline);
        const c = new Compressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
        const out: Buffer[] = [];
        for (const m of messages) out.push(await c.compress(m));
        c.close();
        outputs.push(out);
      }
      setInlineZlib(path === 'this thread');
      outputs[1]!.forEach((b, i) => expect(b.equals(outputs[0]![i]!)).toBe(true));
    });
  });
}

describe('which path a message takes', () => {
  it('compressNow deflates up to 64 KiB at level 1 and 16 KiB at other levels; beyond, it leaves the message to the pool', () => {
    const fast = new Compressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
    const slow = new Compressor({ windowBits: 15, noContextTakeover: true, level: 6, memLevel: 8 });
    expect(fast.compressNow(Buffer.alloc(64 * KiB))).not.toBeNull();
    expect(fast.compressNow(Buffer.alloc(64 * KiB + 1))).toBeNull();
    expect(slow.compressNow(Buffer.alloc(16 * KiB))).not.toBeNull();
    expect(slow.compressNow(Buffer.alloc(16 * KiB + 1))).toBeNull();
    setInlineZlib(false);
    expect(fast.compressNow(Buffer.from('small'))).toBeNull();
    setInlineZlib(true);
    fast.close();
    slow.close();
    expect(() => fast.compressNow(Buffer.from('x'))).toThrow(/closed during compression/);
  });

  it('a small message that arrived whole is inflated in the microtask after its end; a large one waits for the pool', async () => {
    const d = new Decompressor(15, false);
    const done: string[] = [];
    let largeDone = (): void => {};
    const largeFinished = new Promise<void>((resolve) => (largeDone = resolve));
    const sink = (name: string): InflateSink => ({
      push: () => {},
      done: () => {
        done.push(name);
        if (name === 'large') largeDone();
      },
      fail: (err) => done.push(String(err)),
    });
    const smallPayload = deflated(Buffer.from('hello'));
    const largePayload = deflated(randomBytes(70 * KiB));
    expect(largePayload.length).toBeGreaterThan(64 * KiB);
    const small = d.begin(sink('small'));
    d.write(small, smallPayload);
    d.end(small);
    await Promise.resolve();
    expect(done).toEqual(['small']);
    const large = d.begin(sink('large'));
    d.write(large, largePayload);
    d.end(large);
    await Promise.resolve();
    expect(done).toEqual(['small']);
    await largeFinished;
    expect(done).toEqual(['small', 'large']);
    d.close();
  });

  it('output past the inline limit goes on on the pool, and the context carries over after it', async () => {
    const d0 = new Decompressor(15, true);
    const pieces: Buffer[] = [];
    let finished = false;
    const job = d0.begin({ push: (p) => pieces.push(p), done: () => (finished = true), fail: (err) => pieces.push(Buffer.from(String(err))) });
    d0.write(job, deflated(Buffer.alloc(1024 * KiB))); // about 1 KiB compressed
    d0.end(job);
    await Promise.resolve();
    expect(finished).toBe(false); // 128 KiB came out here, the rest is on its way from the pool
    expect(pieces.reduce((n, p) => n + p.length, 0)).toBe(128 * KiB);
    d0.close();
    for (const noContextTakeover of [false, true]) {
      const d = new Decompressor(15, noContextTakeover);
      const node = nodePeer(15, noContextTakeover);
      for (const data of [Buffer.alloc(10 * 1024 * KiB, 7), content(3000, 'text'), content(3000, 'text')]) {
        expect((await inflateWith(d, await node.compress(data))).equals(data)).toBe(true);
      }
      d.close();
      node.close();
    }
  });
});

describe('a bomb inflated on this thread', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stops at the read limit: 16 MiB of zeros in 16 KiB, limit 64 KiB → 1009, little inflated past it', async () => {
    let inflated = 0;
    const begin = Decompressor.prototype.begin;
    vi.spyOn(Decompressor.prototype, 'begin').mockImplementation(function (this: Decompressor, sink: InflateSink) {
      return begin.call(this, { ...sink, push: (piece: Buffer) => ((inflated += piece.length), sink.push(piece)), done: () => sink.done(), fail: (e: Error) => sink.fail(e) });
    });
    const server = await rawServer(echo, { enableCompression: { threshold: 0 }, readLimit: 64 * KiB });
    const client = await RawClient.open(server.port, '/', ['Sec-WebSocket-Extensions: permessage-deflate']);
    onCleanup(() => client.destroy());
    const bomb = deflated(Buffer.alloc(16 * 1024 * KiB));
    expect(bomb.length).toBeLessThan(64 * KiB); // small enough for this thread
    client.send({ opcode: 2, rsv1: true, payload: bomb });
    expect(await client.closeCode()).toBe(1009);
    expect(inflated).toBeGreaterThan(64 * KiB);
    expect(inflated).toBeLessThanOrEqual(128 * KiB); // one piece (at most 64 KiB) past the limit
  });
});

describe('the pool only, end to end (a Node without the native handle)', () => {
  beforeAll(() => setInlineZlib(false));
  afterAll(() => setInlineZlib(true));

  async function client(options = {}): Promise<RawClient> {
    const server = await rawServer(echo, { enableCompression: { threshold: 0 }, ...options });
    const c = await RawClient.open(server.port, '/', ['Sec-WebSocket-Extensions: permessage-deflate']);
    onCleanup(() => c.destroy());
    return c;
  }

  it('echoes compressed messages with context takeover', async () => {
    const c = await client();
    const node = nodePeer(15, false);
    for (const text of ['first message', 'first message', 'second'.repeat(500)]) {
      c.send({ opcode: 1, rsv1: true, payload: await node.compress(Buffer.from(text)) });
      const frame = await c.nextFrame();
      expect(frame.rsv1).toBe(true);
      expect((await node.inflate(frame.payload)).toString()).toBe(text);
    }
    node.close();
  });

  it('fails invalid DEFLATE with 1007 and a bomb with 1009', async () => {
    const bad = await client();
    bad.write(clientFrame({ opcode: 2, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff]) }));
    expect(await bad.closeCode()).toBe(1007);
    const bombed = await client({ readLimit: 64 * KiB });
    bombed.send({ opcode: 2, rsv1: true, payload: deflated(Buffer.alloc(16 * 1024 * KiB)) });
    expect(await bombed.closeCode()).toBe(1009);
  });
});
