/**
 * The permessage-deflate codec with the framing core: compress → frame → parse → inflate.
 */
import { randomBytes } from 'node:crypto';
import { constants, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Compressor, Decompressor } from '../../src/connection/permessage-deflate.js';
import { ConnectionCore } from '../../src/protocol/core.js';

interface Config {
  windowBits: number;
  noContextTakeover: boolean;
  level: number;
}

/** Sends `messages` compressed from a client-role core to a server-role core and inflates them. */
interface TestMessage {
  text: boolean;
  data: Buffer;
  fragments: number;
  /** Delivered to the server in slices of this many bytes (default: whole)... */
  slice?: number;
  /** ...with the event loop turning between slices (pieces then reach zlib before the message ends). */
  turnBetweenSlices?: boolean;
}

async function roundTrip(messages: TestMessage[], config: Config): Promise<Buffer[]> {
  const compressor = new Compressor({ ...config, memLevel: 8 });
  const decompressor = new Decompressor(config.windowBits, config.noContextTakeover);
  const received: Array<Promise<Buffer>> = [];
  let job: ReturnType<Decompressor['begin']> | null = null;
  const server = new ConnectionCore(
    { role: 'server', compression: true },
    {
      onMessageStart: (_opcode, compressed) => {
        expect(compressed).toBe(true);
        const pieces: Buffer[] = [];
        received.push(
          new Promise<Buffer>((resolve, reject) => {
            job = decompressor.begin({ push: (p) => pieces.push(p), done: () => resolve(Buffer.concat(pieces)), fail: reject });
          }),
        );
      },
      onMessageData: (d) => decompressor.write(job!, Buffer.from(d)),
      onMessageEnd: () => decompressor.end(job!),
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onError: (e) => {
        throw e;
      },
    },
  );
  const client = new ConnectionCore({ role: 'client', compression: true }, {
    onMessageStart: () => {}, onMessageData: () => {}, onMessageEnd: () => {}, onPing: () => {}, onPong: () => {}, onClose: () => {}, onError: () => {},
  });
  for (const m of messages) {
    const opcode = m.text ? 1 : 2;
    if (m.fragments <= 1) {
      client.sender.message(opcode, await compressor.compress(m.data), true);
    } else {
      const step = Math.ceil(m.data.length / m.fragments) || 1;
      for (let i = 0, first = true; ; i += step, first = false) {
        const last = i + step >= m.data.length;
        const piece = await compressor.compress(m.data.subarray(i, i + step), last);
        client.sender.frame(first ? opcode : 0, piece, last, first);
        if (last) break;
      }
    }
    const wire = Buffer.concat(client.takeOutput());
    const slice = m.slice ?? wire.length;
    for (let at = 0; at < wire.length; at += slice) {
      server.receive(Buffer.from(wire.subarray(at, at + slice)));
      if (m.turnBetweenSlices === true) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const out = await Promise.all(received);
  compressor.close();
  decompressor.close();
  return out;
}

const configs: Config[] = [];
for (const windowBits of [8, 9, 12, 15]) for (const noContextTakeover of [false, true]) configs.push({ windowBits, noContextTakeover, level: 1 });
configs.push({ windowBits: 15, noContextTakeover: false, level: 9 });

describe('permessage-deflate round trip', () => {
  it('matches RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00', async () => {
    const c = new Compressor({ windowBits: 15, noContextTakeover: true, level: -1, memLevel: 8 });
    expect((await c.compress(Buffer.from('Hello'))).toString('hex')).toBe('f248cdc9c90700');
    c.close();
  });

  it('compresses an empty message to a non-empty payload that inflates to nothing (§7.2.3.6)', async () => {
    const c = new Compressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
    await c.compress(Buffer.from('something first'));
    const payload = await c.compress(Buffer.alloc(0));
    c.close();
    expect(payload).toEqual(Buffer.from([0x00]));
    const inflate = (b: Buffer) => inflateRawSync(Buffer.concat([b, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(inflate(payload).length).toBe(0);
    expect(await roundTrip([{ text: true, data: Buffer.alloc(0), fragments: 1 }], configs[0]!)).toEqual([Buffer.alloc(0)]);
  });

  it('accepts an empty payload with RSV1 set as an empty message', async () => {
    const d = new Decompressor(15, false);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const pieces: Buffer[] = [];
      const job = d.begin({ push: (p) => pieces.push(p), done: () => resolve(Buffer.concat(pieces)), fail: reject });
      d.write(job, Buffer.alloc(0));
      d.end(job);
    });
    d.close();
    expect(got.length).toBe(0);
  });

  it('uses the window across messages with context takeover (the second copy costs almost nothing)', async () => {
    const text = Buffer.from(JSON.stringify({ user: 'someone', items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item ${i}` })) }));
    const withContext = new Compressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
    const first = await withContext.compress(text);
    const second = await withContext.compress(text);
    withContext.close();
    const without = new Compressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
    const again = await without.compress(text);
    const again2 = await without.compress(text);
    without.close();
    expect(second.length).toBeLessThan(first.length / 4);
    expect(again2.length).toBe(again.length);
  });

  for (const config of configs) {
    it(`property: any sequence of messages survives (window ${config.windowBits}, ${config.noContextTakeover ? 'no ' : ''}context takeover, level ${config.level})`, async () => {
      const messageArb = fc.record({
        text: fc.boolean(),
        data: fc.oneof(
          fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), // incompressible
          fc.integer({ min: 0, max: 40_000 }).map((n) => randomBytes(n)), // incompressible, past the trailer join limit
          fc.integer({ min: 0, max: 70_000 }).map((n) => Buffer.from('abcabcabd'.repeat(Math.ceil(n / 9)).slice(0, n))),
        ),
        fragments: fc.integer({ min: 1, max: 4 }),
        slice: fc.option(fc.integer({ min: 256, max: 50_000 }), { nil: undefined }),
        turnBetweenSlices: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 8 }), async (messages) => {
          const fixed = messages.map((m) => (m.text ? { ...m, data: Buffer.from(m.data.toString('utf8')) } : m));
          const out = await roundTrip(fixed, config);
          expect(out.length).toBe(fixed.length);
          out.forEach((d, i) => expect(d.equals(fixed[i]!.data)).toBe(true));
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('zlib stream ownership', () => {
  it('a pooled stream is reused after release, reset, and a failed one is not', async () => {
    const { deflatePool } = await import('../../src/connection/zlib-pool.js');
    const a = deflatePool.acquire('15/1/8');
    deflatePool.release('15/1/8', a, true);
    const b = deflatePool.acquire('15/1/8');
    expect(b).toBe(a);
    deflatePool.release('15/1/8', b, false);
    const c = deflatePool.acquire('15/1/8');
    expect(c).not.toBe(a);
    deflatePool.release('15/1/8', c, true);
  });

  it('compressors without context takeover share pooled streams and stay correct', async () => {
    const settings = { windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 };
    const one = new Compressor(settings);
    const two = new Compressor(settings);
    const text = Buffer.from('shared stream, independent messages '.repeat(20));
    const outs = [await one.compress(text), await two.compress(text), await one.compress(text)];
    for (const out of outs) expect(out.equals(outs[0]!)).toBe(true);
    one.close();
    two.close();
  });

  it('closing during a compression rejects it instead of leaving it pending', async () => {
    const c = new Compressor({ windowBits: 15, noContextTakeover: false, level: 9, memLevel: 8 });
    const pending = c.compress(Buffer.alloc(20 * 1024 * 1024, 'a'));
    c.close();
    await expect(pending).rejects.toThrow(/closed during compression/);
    await expect(c.compress(Buffer.from('x'))).rejects.toThrow(/closed during compression/);
  });
});
