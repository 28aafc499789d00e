import { describe, expect, it } from 'vitest';
import { formatNumber, formatRatio, formatSummary, sizeLabel } from '../../scripts/bench/format.js';
import { latencyPercentiles, quantileOfSorted, summarize } from '../../scripts/bench/stats.js';

describe('summaries', () => {
  it('takes the median of odd and even counts, with min and max', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, count: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, count: 4 });
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('interpolates quantiles and sorts latency samples numerically', () => {
    expect(quantileOfSorted([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(quantileOfSorted([0, 100], 0.99)).toBeCloseTo(99);
    const samples = new Float64Array(Array.from({ length: 1000 }, (_, i) => 1000 - i)); // 1000 down to 1
    const { p50, p99 } = latencyPercentiles(samples);
    expect(p50).toBeCloseTo(500.5);
    expect(p99).toBeCloseTo(990.01);
  });
});

describe('formatting', () => {
  it('prints three significant figures with SI suffixes', () => {
    expect(formatNumber(196_400)).toBe('196k');
    expect(formatNumber(4_213_000)).toBe('4.21M');
    expect(formatNumber(999_700)).toBe('1.00M');
    expect(formatNumber(640.2)).toBe('640');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(0.8512)).toBe('0.851');
    expect(formatNumber(0)).toBe('0');
  });

  it('prints cells as median (min–max), ratios with ×, sizes in binary units', () => {
    expect(formatSummary(summarize([1000, 2000, 3000]))).toBe('2.00k (1.00k–3.00k)');
    expect(formatSummary(summarize([42]))).toBe('42.0');
    expect(formatRatio(2.314)).toBe('2.31×');
    expect(formatRatio(12.34)).toBe('12.3×');
    expect(formatRatio(Number.NaN)).toBe('—');
    expect([16, 1024, 65536, 1048576].map(sizeLabel)).toEqual(['16 B', '1 KiB', '64 KiB', '1 MiB']);
  });
});
