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
            boxes[step.who]!.pushFrame(firstByte(true, step.opcode), payload, key);
            expected[step.who]!.push(encodeFrame({ opcode: step.opcode, payload, maskKey: key }));
            if (step.takeAfter) actual[step.who]!.push(...boxes[step.who]!.take());
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

  it('never hands out a batch larger than the coalescing limit', () => {
    const box = new Outbox(100, new Slab());
    for (let i = 0; i < 50; i++) box.pushFrame(firstByte(true, 2), Buffer.alloc(30), null);
    for (const chunk of box.take()) expect(chunk.length).toBeLessThanOrEqual(100);
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
