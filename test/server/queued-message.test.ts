import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueuedMessage } from '../../src/connection/inbox.js';

describe('QueuedMessage', () => {
  it('property: pieces come out in order and whole, however pushes, shifts and takeAll interleave', () => {
    const op = fc.oneof(
      fc.record({ push: fc.uint8Array({ minLength: 0, maxLength: 700 }) }),
      fc.record({ shift: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const m = new QueuedMessage(2, 0);
        const pushed: Buffer[] = [];
        const out: Buffer[] = [];
        for (const o of ops) {
          if ('push' in o) {
            pushed.push(Buffer.from(o.push));
            m.push(Buffer.from(o.push));
          } else {
            const piece = m.shift();
            if (piece !== null) out.push(piece);
          }
          expect(m.bufferedBytes).toBe(Buffer.concat(pushed).length - Buffer.concat(out).length);
        }
        out.push(m.takeAll());
        expect(Buffer.concat(out).equals(Buffer.concat(pushed))).toBe(true);
        expect(m.bufferedBytes).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a single piece as it is, with no copy', () => {
    const m = new QueuedMessage(1, 0);
    const piece = Buffer.from('only');
    m.push(piece);
    expect(m.takeAll()).toBe(piece);
  });

  it('packs a swarm of tiny pieces into shared chunks', () => {
    const m = new QueuedMessage(2, 0);
    for (let i = 0; i < 10_000; i++) m.push(Buffer.from([i & 0xff]));
    let pieces = 0;
    while (m.shift() !== null) pieces++;
    expect(pieces).toBeLessThan(20); // 8 direct pieces, then 4 KiB packs
  });
});
