import { describe, expect, it } from 'vitest';
import { bytesAllocatedBy } from '../../scripts/bench/micro/allocation.js';

/** Makes `n` arrays of 32 elements and keeps none: garbage, collected by minor GCs as it goes. */
function garbage(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = new Array<number>(32).fill(i);
    sum += a[31]!;
  }
  return sum;
}

describe('bytesAllocatedBy', () => {
  it('counts garbage the collector freed meanwhile, in proportion to the work', async () => {
    // An array of 32 numbers is at least 32 × 4 bytes of elements: 200,000 of them are over 25 MB,
    // more than a young generation holds, so most are collected before the count ends.
    const one = await bytesAllocatedBy(() => garbage(200_000));
    const two = await bytesAllocatedBy(() => garbage(400_000));
    expect(one).toBeGreaterThan(200_000 * 32 * 4);
    expect(two / one).toBeGreaterThan(1.7);
    expect(two / one).toBeLessThan(2.3);
  });

  it('counts next to nothing for work that allocates nothing', async () => {
    let x = 0;
    const bytes = await bytesAllocatedBy(() => {
      for (let i = 0; i < 1_000_000; i++) x = (x + i) | 0;
    });
    expect(bytes).toBeLessThan(64 * 1024);
    expect(x).not.toBe(0.5);
  });
});
