import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';
import { encodeFrame, type FrameHeader } from '../../src/protocol/frame.js';
import { FrameParser } from '../../src/protocol/parser.js';
import { chop } from '../helpers/recorder.js';

interface Seen {
  header: Omit<FrameHeader, 'headerLength'>;
  payload: Buffer;
}

function parseAll(chunks: Buffer[]): { frames: Seen[]; error: number | null; pieces: Buffer[][] } {
  const frames: Seen[] = [];
  const pieces: Buffer[][] = [];
  let current: Buffer[] = [];
  let header: FrameHeader | null = null;
  const parser = new FrameParser({
    onFrameHeader(h) {
      header = h;
      current = [];
    },
    onFramePayload(d) {
      current.push(d);
    },
    onFrameEnd() {
      const { headerLength: _, ...rest } = header!;
      frames.push({ header: rest, payload: Buffer.concat(current) });
      pieces.push(current);
    },
  });
  try {
    for (const c of chunks) parser.push(c);
  } catch (err) {
    if (err instanceof ProtocolError) return { frames, error: err.closeCode, pieces };
    throw err;
  }
  return { frames, error: null, pieces };
}

const frameArb = fc.record({
  fin: fc.boolean(),
  rsv1: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  maskKey: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: null }),
  payload: fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(0xab)) },
  ),
});

describe('FrameParser', () => {
  it('property: any chunking of the same bytes yields the same frames and the same error', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: null }), // trailing junk, maybe invalid
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, junk, cuts) => {
          const bytes = Buffer.concat([...frames.map((f) => encodeFrame(f)), junk ?? Buffer.alloc(0)]);
          const whole = parseAll([Buffer.from(bytes)]);
          const split = parseAll(chop(bytes, cuts.map((c) => c % (bytes.length + 1))));
          expect(split.error).toBe(whole.error);
          expect(split.frames.length).toBe(whole.frames.length);
          split.frames.forEach((f, i) => {
            expect(f.header).toEqual(whole.frames[i]!.header);
            expect(Buffer.compare(f.payload, whole.frames[i]!.payload)).toBe(0);
          });
          // And the frames are the ones encoded (junk may add frames of its own after them).
          whole.frames.slice(0, frames.length).forEach((f, i) => {
            expect(Buffer.compare(f.payload, Buffer.from(frames[i]!.payload))).toBe(0);
            expect(f.header.opcode).toBe(frames[i]!.opcode);
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: arbitrary bytes never throw anything but a ProtocolError with an allowed close code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const result = parseAll(chop(Buffer.from(bytes), cuts.map((c) => c % (bytes.length + 1))));
        if (result.error !== null) expect([1002, 1009]).toContain(result.error);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not copy a frame that arrives whole in one chunk', () => {
    const chunk = Buffer.concat([
      encodeFrame({ opcode: 2, payload: Buffer.alloc(1000, 1), maskKey: 0x01020304 }),
      encodeFrame({ opcode: 1, payload: Buffer.from('hi'), maskKey: 0x0a0b0c0d }),
    ]);
    const { pieces } = parseAll([chunk]);
    expect(pieces.map((p) => p.length)).toEqual([1, 1]);
    for (const [piece] of pieces) expect(piece!.buffer).toBe(chunk.buffer);
    expect(pieces[0]![0]!.equals(Buffer.alloc(1000, 1))).toBe(true); // unmasked in place
  });

  it('reports a header before any of its payload arrives', () => {
    const frame = encodeFrame({ opcode: 2, payload: Buffer.alloc(100_000) });
    const headers: number[] = [];
    const parser = new FrameParser({
      onFrameHeader: (h) => headers.push(h.payloadLength),
      onFramePayload: () => {},
      onFrameEnd: () => {},
    });
    parser.push(frame.subarray(0, 10));
    expect(headers).toEqual([100_000]);
  });

  it('reuseHeader: one header object for every frame, right at each frame', () => {
    const seen: Array<[FrameHeader, number, number]> = [];
    const parser = new FrameParser(
      { onFrameHeader: (h) => seen.push([h, h.opcode, h.payloadLength]), onFramePayload: () => {}, onFrameEnd: () => {} },
      { reuseHeader: true },
    );
    const bytes = Buffer.concat([encodeFrame({ opcode: 1, payload: Buffer.from('a') }), encodeFrame({ opcode: 2, payload: Buffer.alloc(300) })]);
    for (const piece of chop(bytes, [1, 3, 5])) parser.push(piece);
    expect(seen.map(([, op, len]) => [op, len])).toEqual([
      [1, 1],
      [2, 300],
    ]);
    expect(seen[0]![0]).toBe(seen[1]![0]);
  });

  it('stays failed after an error', () => {
    const parser = new FrameParser({ onFrameHeader: () => {}, onFramePayload: () => {}, onFrameEnd: () => {} });
    expect(() => parser.push(Buffer.from('827e007d', 'hex'))).toThrow(ProtocolError);
    expect(() => parser.push(encodeFrame({ opcode: 2 }))).toThrow(ProtocolError);
  });
});
