import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMask } from '../../src/protocol/mask.js';
import { MaskKeySource } from '../../src/protocol/mask-keys.js';

function naiveMask(data: Uint8Array, key: number, phase = 0): Uint8Array {
  const k = [key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
  return data.map((b, i) => b ^ k[(i + phase) % 4]!);
}

describe('applyMask', () => {
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
