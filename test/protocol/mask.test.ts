import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMask, applyMaskShort, copyMasked } from '../../src/protocol/mask.js';
import { xorRepeated, useSimd } from '../../src/protocol/mask-simd.js';
import { MaskKeySource } from '../../src/protocol/mask-keys.js';

function naiveMask(data: Uint8Array, key: number, phase = 0): Uint8Array {
  const k = [key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
  return data.map((b, i) => b ^ k[(i + phase) % 4]!);
}

/** The same properties with WebAssembly SIMD for long ranges (the default here) and without it (the fallback). */
for (const simd of [true, false]) {
  describe(`applyMask, ${simd ? 'WebAssembly SIMD' : 'JavaScript only'} for long ranges`, () => {
    beforeAll(() => useSimd(simd));
    afterAll(() => useSimd(true));
    it('matches the byte-by-byte definition of §5.3 at every alignment and length', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 600 }),
          fc.integer({ min: 0, max: 7 }),
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0, max: 3 }),
          (data, offset, key, phase) => {
            // Place the data at an arbitrary offset so the word loop meets every alignment.
            const backing = new Uint8Array(data.length + offset + 8);
            backing.set(data, offset);
            const view = backing.subarray(offset, offset + data.length);
            applyMask(view, key, 0, view.length, phase);
            expect(Array.from(view)).toEqual(Array.from(naiveMask(data, key, phase)));
          },
        ),
        { numRuns: 500 },
      );
    });

    it('unmask(mask(x)) == x', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 0xffffffff }), (data, key) => {
          const copy = Uint8Array.from(data);
          applyMask(copy, key);
          applyMask(copy, key);
          expect(copy).toEqual(data);
        }),
      );
    });

    it('gives the same result split at any point with the right phase', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), (data, key, cut) => {
          const at = cut % (data.length + 1);
          const whole = Uint8Array.from(data);
          applyMask(whole, key);
          const split = Uint8Array.from(data);
          applyMask(split, key, 0, at, 0);
          applyMask(split, key, at, split.length, at);
          expect(split).toEqual(whole);
        }),
      );
    });

    it('copyMasked writes the masked payload at any offset, leaving the source and the rest of the target alone', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 9 }), fc.nat({ max: 9 }), fc.integer({ min: 0, max: 0xffffffff }), (data, sourceOffset, at, key) => {
          const backing = new Uint8Array(data.length + sourceOffset);
          backing.set(data, sourceOffset);
          const source = backing.subarray(sourceOffset); // a view, as a caller's payload may be
          const target = new Uint8Array(at + data.length + 3).fill(0xa5);
          copyMasked(source, target, at, key);
          expect(Array.from(source)).toEqual(Array.from(data));
          expect(Array.from(target.subarray(at, at + data.length))).toEqual(Array.from(naiveMask(data, key)));
          expect(target.subarray(0, at).every((b) => b === 0xa5) && target.subarray(at + data.length).every((b) => b === 0xa5)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it('masks ranges longer than one call into the module (64 KiB), keeping the phase', () => {
      const data = Uint8Array.from({ length: 200_003 }, (_, i) => (i * 31) & 0xff);
      const whole = Uint8Array.from(data);
      applyMask(whole, 0x8badf00d, 3, whole.length - 5, 1);
      const expected = Uint8Array.from(data);
      expected.set(naiveMask(data.subarray(3, data.length - 5), 0x8badf00d, 1), 3);
      expect(whole).toEqual(expected);
      const copied = new Uint8Array(data.length + 2);
      copyMasked(data, copied, 2, 0x8badf00d);
      expect(copied.subarray(2)).toEqual(naiveMask(data, 0x8badf00d));
    });
  });
}

describe('applyMaskShort (through a DataView of the whole buffer)', () => {
  it('matches the byte-by-byte definition of §5.3 at every offset, length and phase', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 7 }),
        (data, offset, key, phase) => {
          const backing = new Uint8Array(data.length + offset + 5).fill(0xa5);
          backing.set(data, offset);
          const before = Uint8Array.from(backing);
          applyMaskShort(new DataView(backing.buffer), key, offset, offset + data.length, phase);
          expect(Array.from(backing.subarray(offset, offset + data.length))).toEqual(Array.from(naiveMask(data, key, phase % 4)));
          // Nothing outside the range is touched.
          expect(Array.from(backing.subarray(0, offset))).toEqual(Array.from(before.subarray(0, offset)));
          expect(Array.from(backing.subarray(offset + data.length))).toEqual(Array.from(before.subarray(offset + data.length)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('mask-simd', () => {
  it('gives the right bytes for runs of one length, whole buffers and parts of them', () => {
    useSimd(true);
    const key = 0x5a3c9e17;
    for (const length of [200, 200, 1024, 1024, 200]) {
      for (const [start, end] of [[0, length], [3, length - 5]] as const) {
        const data = Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff);
        const expected = Array.from(data);
        const part = naiveMask(data.subarray(start, end), key);
        expected.splice(start, end - start, ...part);
        applyMask(data, key, start, end);
        expect(Array.from(data)).toEqual(expected);
      }
    }
  });

  it('stays off after useSimd(false): the fallback is what the JavaScript-only properties test', () => {
    useSimd(false);
    try {
      const data = new Uint8Array(32).fill(0xff);
      expect(xorRepeated(data, 0, 32, 0x04030201)).toBe(false);
      expect(data.every((b) => b === 0xff)).toBe(true);
    } finally {
      useSimd(true);
    }
  });

  it('runs here (Node 20 has WebAssembly SIMD), and says so', () => {
    useSimd(true);
    const data = new Uint8Array(32).fill(0xff);
    expect(xorRepeated(data, 0, 32, 0x04030201)).toBe(true);
    expect(Array.from(data.subarray(0, 4))).toEqual([0xfe, 0xfd, 0xfc, 0xfb]);
  });
});

describe('MaskKeySource', () => {
  it('draws keys in batches and does not repeat a batch', () => {
    const source = new MaskKeySource();
    const keys = Array.from({ length: 3000 }, () => source.nextKey());
    expect(keys.every((k) => Number.isInteger(k) && k >= 0 && k <= 0xffffffff)).toBe(true);
    // 3000 random 32-bit keys: a repeat is possible but vanishingly unlikely (~0.1%); many repeats means a bug.
    expect(new Set(keys).size).toBeGreaterThan(2990);
    expect(keys.slice(0, 1024)).not.toEqual(keys.slice(1024, 2048));
  });
});
