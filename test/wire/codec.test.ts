/**
 * The tests' independent frame codec (test/helpers/wire), checked against itself and against the
 * RFC: encode then decode gives the frame back whatever the split of the bytes, and the examples
 * of RFC 6455 §5.7 encode and decode byte for byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireDecoder, WireFormatError, decodeWireFrames } from '../helpers/wire/decode.js';
import { encodeWireFrame } from '../helpers/wire/encode.js';
import { Op, type WireFrameInit, closeCodeOf } from '../helpers/wire/frame.js';
import { xorMask } from '../helpers/wire/mask.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s|0x/g, ''), 'hex');
const KEY = hex('37fa213d');

const frameArb = fc.record({
  fin: fc.boolean(),
  rsv1: fc.boolean(),
  rsv2: fc.boolean(),
  rsv3: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  maskKey: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)), { nil: undefined }),
  // Lengths around both boundaries of the length forms (125/126, 65535/65536) come up often.
  payload: fc
    .tuple(fc.oneof(fc.nat(140), fc.integer({ min: 65_530, max: 65_540 }), fc.constantFrom(0, 125, 126, 127)), fc.nat())
    .map(([length, seed]) => pseudoRandomBytes(length, seed)),
});

/** `length` bytes from a seed (fast-check's arrays of 64 KiB would be slow to generate). */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Splits `bytes` at the given points (any order, duplicates and out-of-range ones ignored). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

describe('the tests\' frame codec', () => {
  it('decodes what it encodes, whatever pieces the bytes arrive in', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(70_000), { maxLength: 8 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeWireFrame(f)));
        const decoder = new WireDecoder();
        const decoded = split(bytes, cuts).flatMap((piece) => decoder.push(piece));
        expect(decoder.pending).toBe(0);
        // Payloads compared with Buffer#equals: vitest's deep equality walks 64 KiB byte by byte.
        expect(decoded.map((d, i) => d.payload.equals(frames[i]!.payload))).toEqual(frames.map(() => true));
        expect(decoded.map((d) => ({ ...d, payload: d.payload.length }))).toEqual(
          frames.map((f) => ({
            fin: f.fin,
            rsv1: f.rsv1,
            rsv2: f.rsv2,
            rsv3: f.rsv3,
            opcode: f.opcode,
            masked: f.maskKey !== undefined,
            maskKey: f.maskKey ?? null,
            payload: f.payload.length,
            minimalLength: true,
          })),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('uses the shortest length form, and the header grows at 126 and at 65536 bytes', () => {
    expect(encodeWireFrame({ opcode: Op.binary, payload: Buffer.alloc(125) }).length).toBe(2 + 125);
    expect(encodeWireFrame({ opcode: Op.binary, payload: Buffer.alloc(126) }).length).toBe(4 + 126);
    expect(encodeWireFrame({ opcode: Op.binary, payload: Buffer.alloc(65_535) }).length).toBe(4 + 65_535);
    expect(encodeWireFrame({ opcode: Op.binary, payload: Buffer.alloc(65_536) }).length).toBe(10 + 65_536);
    expect(encodeWireFrame({ opcode: Op.binary, maskKey: KEY, payload: Buffer.alloc(1) }).length).toBe(2 + 4 + 1);
  });

  describe('RFC 6455 §5.7 examples', () => {
    const vectors: Array<[string, WireFrameInit, string]> = [
      ['a single-frame unmasked text message', { opcode: Op.text, payload: 'Hello' }, '0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f'],
      ['a single-frame masked text message', { opcode: Op.text, maskKey: KEY, payload: 'Hello' }, '0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58'],
      ['a fragmented unmasked text message, first frame', { opcode: Op.text, fin: false, payload: 'Hel' }, '0x01 0x03 0x48 0x65 0x6c'],
      ['a fragmented unmasked text message, last frame', { opcode: Op.continuation, payload: 'lo' }, '0x80 0x02 0x6c 0x6f'],
      ['an unmasked ping', { opcode: Op.ping, payload: 'Hello' }, '0x89 0x05 0x48 0x65 0x6c 0x6c 0x6f'],
      ['a masked pong', { opcode: Op.pong, maskKey: KEY, payload: 'Hello' }, '0x8a 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58'],
    ];
    for (const [name, init, bytes] of vectors) {
      it(name, () => {
        expect(encodeWireFrame(init).toString('hex')).toBe(hex(bytes).toString('hex'));
        const [frame] = decodeWireFrames(hex(bytes));
        expect(frame).toMatchObject({ opcode: init.opcode, fin: init.fin ?? true, masked: init.maskKey !== undefined });
        expect(frame!.payload.toString()).toBe(init.payload);
      });
    }

    it('256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100, then the data', () => {
      const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const bytes = encodeWireFrame({ opcode: Op.binary, payload: data });
      expect(bytes.subarray(0, 4).toString('hex')).toBe('827e0100');
      expect(decodeWireFrames(bytes)[0]!.payload).toEqual(data);
    });

    it('64 KiB binary in a single unmasked frame: 0x82 0x7F 0x0000000000010000, then the data', () => {
      const data = Buffer.alloc(65_536, 0xa5);
      const bytes = encodeWireFrame({ opcode: Op.binary, payload: data });
      expect(bytes.subarray(0, 10).toString('hex')).toBe('827f0000000000010000');
      expect(decodeWireFrames(bytes)[0]!.payload).toEqual(data);
    });
  });

  it('reports a length not in its shortest form, and refuses a 64-bit length with the top bit set', () => {
    const long = hex('8a 7e 0005 48656c6c6f');
    expect(decodeWireFrames(long)[0]).toMatchObject({ opcode: Op.pong, minimalLength: false });
    expect(decodeWireFrames(long)[0]!.payload.toString()).toBe('Hello');
    expect(() => decodeWireFrames(hex('82 7f 8000000000000000'))).toThrow(WireFormatError);
  });

  it('masks per §5.3 (j = i MOD 4), and unmasking is the same operation', () => {
    const data = Buffer.from('Hello');
    expect(xorMask(data, KEY).toString('hex')).toBe('7f9f4d5158');
    expect(xorMask(xorMask(data, KEY), KEY)).toEqual(data);
  });

  it('reads a close frame\'s code, 1005 when it has none', () => {
    const [withCode, empty] = decodeWireFrames([encodeWireFrame({ opcode: Op.close, payload: hex('03e9') }), encodeWireFrame({ opcode: Op.close })]);
    expect(closeCodeOf(withCode!)).toBe(1001);
    expect(closeCodeOf(empty!)).toBe(1005);
  });

  it('leaves a frame cut short pending', () => {
    const bytes = encodeWireFrame({ opcode: Op.text, payload: 'pending' });
    const decoder = new WireDecoder();
    expect(decoder.push(bytes.subarray(0, 5))).toEqual([]);
    expect(decoder.pending).toBe(5);
    expect(decoder.push(bytes.subarray(5))[0]!.payload.toString()).toBe('pending');
  });
});
