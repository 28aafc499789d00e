import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, firstByte } from '../../src/protocol/frame.js';
import { Outbox } from '../../src/protocol/outbox.js';
import { Slab } from '../../src/protocol/slab.js';

describe('Outbox', () => {
  it('property: output equals the frames encoded one by one, whatever the interleaving of two connections', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.integer({ min: 0, max: 1 }),
            opcode: fc.constantFrom(1, 2, 9),
            masked: fc.boolean(),
            payload: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 0, max: 3000 }).map((n) => new Uint8Array(n).fill(n & 0xff))),
            encoded: fc.boolean(),
            takeAfter: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 64, max: 4096 }),
        (steps, limit) => {
          const slab = new Slab(2048);
          const boxes = [new Outbox(limit, slab), new Outbox(limit, slab)];
          const expected: Buffer[][] = [[], []];
          const actual: Buffer[][] = [[], []];
          for (const step of steps) {
            const key = step.masked ? 0x01020304 : null;
            const payload = step.opcode === 9 ? step.payload.subarray(0, 125) : step.payload;
            const frame = encodeFrame({ opcode: step.opcode, payload, maskKey: key });
            if (step.encoded) boxes[step.who]!.pushEncoded(frame);
            else boxes[step.who]!.pushFrame(firstByte(true, step.opcode), payload, key);
            expected[step.who]!.push(frame);
            if (step.takeAfter) {
              const taken = boxes[step.who]!.take();
              const bytes = taken.reduce((sum, chunk) => sum + chunk.length, 0);
              // A batch within the coalescing limit always leaves as one buffer; a bigger one in
              // as few as the limit allows: no two neighbours under it would fit in one.
              if (bytes <= limit) expect(taken.length).toBeLessThanOrEqual(1);
              for (let i = 1; i < taken.length; i++) {
                const [a, b] = [taken[i - 1]!.length, taken[i]!.length];
                if (a < limit && b < limit) expect(a + b).toBeGreaterThan(limit);
              }
              actual[step.who]!.push(...taken);
            }
          }
          for (const who of [0, 1]) {
            actual[who]!.push(...boxes[who]!.take());
            expect(boxes[who]!.pendingBytes).toBe(0);
            expect(Buffer.concat(actual[who]!).equals(Buffer.concat(expected[who]!))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a batch contiguous while its owner is the only writer', () => {
    const box = new Outbox(16 * 1024, new Slab());
    for (let i = 0; i < 50; i++) box.pushFrame(firstByte(true, 2), Buffer.alloc(10, i), null);
    const out = box.take();
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(50 * 12);
  });

  it('keeps every connection\'s broadcast frames in one buffer, however the connections interleave', () => {
    const slab = new Slab();
    const boxes = Array.from({ length: 20 }, () => new Outbox(4096, slab));
    const frame = encodeFrame({ opcode: 1, payload: Buffer.alloc(64, 7) });
    for (let round = 0; round < 3; round++) {
      for (let message = 0; message < 15; message++) for (const box of boxes) box.pushEncoded(frame);
      for (const box of boxes) {
        const out = box.take();
        expect(out).toHaveLength(1);
        expect(out[0]!.equals(Buffer.concat(Array(15).fill(frame)))).toBe(true);
      }
    }
  });

  it('hands a lone prepared frame to the socket as it is, with no copy', () => {
    const box = new Outbox(4096, new Slab());
    const frame = encodeFrame({ opcode: 1, payload: Buffer.alloc(64, 7) });
    box.pushEncoded(frame);
    const out = box.take();
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(frame);
  });

  it('joins many small prepared frames into buffers of at most the coalescing limit', () => {
    const box = new Outbox(1000, new Slab());
    const frames = Array.from({ length: 100 }, (_, i) => encodeFrame({ opcode: 2, payload: Buffer.alloc(98, i) }));
    for (const frame of frames) box.pushEncoded(frame);
    const out = box.take();
    expect(out).toHaveLength(10); // 100 frames of 100 bytes
    for (const chunk of out) expect(chunk.length).toBe(1000);
    expect(Buffer.concat(out).equals(Buffer.concat(frames))).toBe(true);
  });

  it('never hands out a batch larger than the coalescing limit', () => {
    const box = new Outbox(100, new Slab());
    for (let i = 0; i < 50; i++) box.pushFrame(firstByte(true, 2), Buffer.alloc(30), null);
    for (const chunk of box.take()) expect(chunk.length).toBeLessThanOrEqual(100);
  });

  it('reserves room for an owner\'s next batch and gives back what it did not use', () => {
    const slab = new Slab(1024);
    const a = {};
    const b = {};
    const at = slab.allocate(a, 10, 100);
    expect(slab.allocatedEnd).toBe(at + 100);
    const next = slab.allocate(b, 10);
    expect(next).toBe(at + 100); // b starts after a's room
    slab.release(a, slab.allocated, at + 10, at + 100); // not the newest region: nothing returns
    expect(slab.allocate(b, 1)).toBe(next + 10);
    const last = slab.allocate(a, 5, 50);
    slab.release(a, slab.allocated, last + 5, last + 50); // the newest: the rest returns
    expect(slab.allocate(b, 1)).toBe(last + 5);
  });

  it('gives no more room than the slab has left', () => {
    const slab = new Slab(64);
    const at = slab.allocate({}, 10, 1000);
    expect(at).toBe(0);
    expect(slab.allocatedEnd).toBe(64);
  });

  it('does not disturb bytes already taken when it writes more', () => {
    const slab = new Slab(1024);
    const box = new Outbox(512, slab);
    box.pushFrame(firstByte(true, 2), Buffer.alloc(20, 1), null);
    const first = box.take()[0]!;
    const snapshot = Buffer.from(first);
    for (let i = 0; i < 100; i++) box.pushFrame(firstByte(true, 2), Buffer.alloc(20, 2), null);
    box.take();
    expect(first.equals(snapshot)).toBe(true);
  });
});
