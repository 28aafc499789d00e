import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/frame.js';
import { FixedSizeCounter, FrameCounter } from '../../scripts/bench/loadgen/counters.js';
import { chop } from '../helpers/recorder.js';

const frameArb = fc.record({
  fin: fc.boolean(),
  rsv1: fc.boolean(),
  opcode: fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa),
  payload: fc.oneof(
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom(125, 126, 0xffff, 0x10000, 70_000).map((n) => new Uint8Array(n).fill(7)) },
  ),
});

describe('FrameCounter', () => {
  it('property: however the stream is cut, it counts FIN data frames, close frames, RSV1 and payloads', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
        const counter = new FrameCounter();
        counter.capture = [];
        let reported = 0;
        for (const chunk of chop(bytes, cuts.map((c) => c % (bytes.length + 1)))) {
          reported += counter.push(chunk);
          chunk.fill(0); // chunks are reused by the load generator: nothing may be kept by reference
        }
        const data = frames.filter((f) => f.opcode < 8);
        expect(counter.messages).toBe(data.filter((f) => f.fin).length);
        expect(reported).toBe(counter.messages);
        expect(counter.closeReceived).toBe(frames.some((f) => f.opcode === 8));
        expect(counter.compressedFrames).toBe(frames.filter((f) => f.rsv1).length);
        expect(counter.maskedFrames).toBe(0);
        expect(Buffer.concat(counter.capture)).toEqual(Buffer.concat(data.map((f) => f.payload)));
      }),
    );
  });

  it('notices masked frames, which a server must not send', () => {
    const counter = new FrameCounter();
    counter.push(encodeFrame({ opcode: 2, payload: Buffer.from('abc'), maskKey: 0x01020304 }));
    expect(counter.maskedFrames).toBe(1);
    expect(counter.messages).toBe(1);
  });
});

describe('FixedSizeCounter', () => {
  it('property: counts whole messages of a fixed length under any chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat({ max: 40 }), fc.array(fc.nat(), { maxLength: 20 }), (length, count, cuts) => {
        const counter = new FixedSizeCounter(length);
        let reported = 0;
        for (const chunk of chop(Buffer.alloc(length * count), cuts)) reported += counter.push(chunk);
        expect(counter.messages).toBe(count);
        expect(reported).toBe(count);
      }),
    );
  });
});
