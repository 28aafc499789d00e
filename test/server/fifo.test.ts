/**
 * Fifo against a plain array as the model: any sequence of operations gives the same answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/connection/fifo.js';

type Op = { kind: 'push'; value: number } | { kind: 'shift' } | { kind: 'retain'; modulo: number } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer().map((value) => ({ kind: 'push' as const, value })) },
  { weight: 5, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((modulo) => ({ kind: 'retain' as const, modulo })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('Fifo', () => {
  it('behaves like an array used as a queue, for any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fifo = new Fifo<number>();
        let model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            fifo.push(o.value);
            model.push(o.value);
          } else if (o.kind === 'shift') {
            expect(fifo.shift()).toBe(model.shift());
          } else if (o.kind === 'retain') {
            const keep = (v: number): boolean => Math.abs(v) % o.modulo === 0;
            fifo.retain(keep);
            model = model.filter(keep);
          } else {
            fifo.clear();
            model = [];
          }
          expect(fifo.length).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
        }
      }),
    );
  });

  it('stays correct across compactions of a long queue', () => {
    const fifo = new Fifo<number>();
    let next = 0;
    let expected = 0;
    // Keep about 3,000 items queued while 100,000 pass through: many compactions happen.
    for (let i = 0; i < 3000; i++) fifo.push(next++);
    for (let i = 0; i < 100_000; i++) {
      fifo.push(next++);
      expect(fifo.shift()).toBe(expected++);
    }
    expect(fifo.length).toBe(3000);
    expect(fifo.peek()).toBe(expected);
  });

  it('shift on an empty queue gives undefined and leaves it usable', () => {
    const fifo = new Fifo<string>();
    expect(fifo.shift()).toBeUndefined();
    fifo.push('a');
    expect(fifo.shift()).toBe('a');
    expect(fifo.length).toBe(0);
  });
});
