import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { machineLoad, waitForQuiet } from '../../scripts/bench/quiet.js';

describe('quiet gate', () => {
  it('samples the machine load in cores: a busy child shows in it', async () => {
    // A child that keeps a core busy while the sample is taken (it says when it has started).
    const child = spawn(process.execPath, ['-e', 'console.log("busy"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(child.stdout, 'data');
      const load = await machineLoad(300);
      // At least half a core: the child's own share even if other work crowds the machine.
      expect(load).toBeGreaterThanOrEqual(0.5);
      // No upper bound: in this VM /proc/stat has shown nearly 3 cores' use of 2 under load.
      expect(Number.isFinite(load)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
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
