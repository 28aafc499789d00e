import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator, isValidUtf8 } from '../../src/protocol/utf8.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
function reference(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Feeds `bytes` split at `cuts`; returns validity and the index of the chunk where it failed. */
function streamed(bytes: Uint8Array, cuts: number[]): { valid: boolean; failedAtChunk: number } {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const v = new Utf8Validator();
  let prev = 0;
  let chunk = 0;
  for (const p of [...points, bytes.length]) {
    if (!v.write(bytes, prev, p)) return { valid: false, failedAtChunk: chunk };
    prev = p;
    chunk++;
  }
  return { valid: v.isComplete(), failedAtChunk: -1 };
}

/** Bytes that are mostly UTF-8, with the odd hostile byte: valid and invalid inputs both occur. */
const nearlyUtf8 = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s, 'utf8')) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 3 }) },
    ),
    { maxLength: 12 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

describe('Utf8Validator', () => {
  it('agrees with TextDecoder (fatal) on arbitrary bytes split at arbitrary points', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyUtf8, fc.uint8Array({ maxLength: 300 })), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        expect(streamed(bytes, cuts).valid).toBe(reference(bytes));
        expect(isValidUtf8(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on long inputs that take the native path, split anywhere', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 40, maxLength: 400 }),
        fc.nat(),
        fc.option(fc.integer({ min: 0x80, max: 0xff }), { nil: null }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (text, at, bad, cuts) => {
          const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
          if (bad !== null) bytes[at % bytes.length] = bad;
          expect(streamed(bytes, cuts).valid).toBe(reference(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });

  const invalid: Array<[string, number[]]> = [
    ['overlong 2-byte NUL', [0xc0, 0x80]],
    ['overlong 2-byte C1', [0xc1, 0xbf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['overlong 4-byte', [0xf0, 0x80, 0x80, 0xaf]],
    ['UTF-16 high surrogate', [0xed, 0xa0, 0x80]],
    ['UTF-16 low surrogate', [0xed, 0xbf, 0xbf]],
    ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['F5 lead byte', [0xf5, 0x80, 0x80, 0x80]],
    ['FE', [0xfe]],
    ['FF', [0xff]],
    ['stray continuation byte', [0x80]],
    ['truncated 2-byte', [0xc3]],
    ['truncated 3-byte', [0xe2, 0x82]],
    ['truncated 4-byte', [0xf0, 0x9f, 0x98]],
    ['lead byte followed by ASCII', [0xe2, 0x41, 0x41]],
  ];
  for (const [name, bytes] of invalid) {
    it(`rejects ${name}`, () => {
      expect(isValidUtf8(Uint8Array.from(bytes))).toBe(false);
      expect(reference(Uint8Array.from(bytes))).toBe(false);
    });
  }

  it('accepts the edges of each range', () => {
    for (const cp of [0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff]) {
      expect(isValidUtf8(Buffer.from(String.fromCodePoint(cp), 'utf8'))).toBe(true);
    }
  });

  it('fails fast: at the chunk holding the first invalid byte, not at the end', () => {
    const good = Buffer.from('κόσμε '.repeat(30), 'utf8');
    const bytes = Buffer.concat([good, Buffer.from([0xed, 0xa0, 0x80]), good]);
    // Chunks of 7 bytes: the surrogate starts at good.length.
    const cuts = Array.from({ length: Math.floor(bytes.length / 7) }, (_, i) => (i + 1) * 7);
    const { valid, failedAtChunk } = streamed(bytes, cuts);
    expect(valid).toBe(false);
    // ED A0 is already impossible, so the failure comes with the chunk that holds the A0.
    expect(failedAtChunk).toBe(Math.floor((good.length + 1) / 7));
  });

  it('keeps a sequence open across chunks and reports incompleteness', () => {
    const euro = Buffer.from('€', 'utf8'); // E2 82 AC
    const v = new Utf8Validator();
    expect(v.write(euro, 0, 1)).toBe(true);
    expect(v.isComplete()).toBe(false);
    expect(v.write(euro, 1, 2)).toBe(true);
    expect(v.write(euro, 2, 3)).toBe(true);
    expect(v.isComplete()).toBe(true);
  });
});
