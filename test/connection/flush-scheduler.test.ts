/**
 * Issue: a `flush()` that threw left every other connection of the batch marked as scheduled,
 * never to flush again, and the exception escaped `process.nextTick`.
 */
import { describe, expect, it } from 'vitest';
import { type Flushable, scheduleFlush } from '../../src/connection/flush-scheduler.js';

class Target implements Flushable {
  flushScheduled = false;
  flushes = 0;
  failures: unknown[] = [];
  constructor(private readonly throws: boolean) {}
  flush(): void {
    this.flushes++;
    if (this.throws) throw new Error('transport threw');
  }
  flushFailed(err: unknown): void {
    this.failures.push(err);
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('the flush scheduler', () => {
  it('a flush that throws is reported to its own connection; the others flush and can ask again', async () => {
    const escaped: unknown[] = [];
    const record = (err: unknown): void => void escaped.push(err);
    process.on('uncaughtException', record);
    try {
      const a = new Target(false);
      const bad = new Target(true);
      const b = new Target(false);
      for (const t of [a, bad, b]) scheduleFlush(t);
      await nextTick();
      expect([a.flushes, bad.flushes, b.flushes]).toEqual([1, 1, 1]);
      expect(bad.failures).toHaveLength(1);
      expect([a, bad, b].map((t) => t.flushScheduled)).toEqual([false, false, false]);
      // Every one of them can be scheduled again.
      for (const t of [a, bad, b]) scheduleFlush(t);
      await nextTick();
      expect([a.flushes, bad.flushes, b.flushes]).toEqual([2, 2, 2]);
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
