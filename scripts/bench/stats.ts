/**
 * Summaries of repeated measurements. Every figure in the benchmark tables is the median of its
 * rounds with the smallest and largest round beside it, so a noisy round shows instead of hiding.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** How many rounds were summarised. */
  count: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('nothing to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantileOfSorted(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted`, interpolating linearly between neighbours,
 * so the median of an even count is the mean of the middle two.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('no samples');
  const at = (n - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** p50 and p99 of latency samples (sorted in place, as typed arrays sort numerically). */
export function latencyPercentiles(samples: Float64Array): { p50: number; p99: number } {
  samples.sort();
  return { p50: quantileOfSorted(samples, 0.5), p99: quantileOfSorted(samples, 0.99) };
}
