import { describe, expect, it } from 'vitest';
import { machineLoad, waitForQuiet } from '../../scripts/bench/quiet.js';

describe('quiet gate', () => {
  it('samples the machine load in cores', async () => {
    const load = await machineLoad(50);
    expect(load).toBeGreaterThanOrEqual(0);
  });

  it('does not wait when the threshold is met, and gives up after its limit otherwise', async () => {
    const lines: string[] = [];
    expect(await waitForQuiet({ threshold: Number.POSITIVE_INFINITY, maxWaitMs: 10_000 }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([]);
    await waitForQuiet({ threshold: -1, maxWaitMs: 0 }, (l) => lines.push(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/waiting for a quiet machine/);
    expect(lines[1]).toMatch(/measuring anyway/);
  });
});
