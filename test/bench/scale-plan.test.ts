import { describe, expect, it } from 'vitest';
import { ACTIVE_FRACTION, RESERVED_FDS, apportion, parsePortRange, perAddress, planScale, sourceAddress } from '../../scripts/bench/scale-plan.js';

/** This machine: 20,000 open files for every process, Linux's default port range. */
const HERE = { serverFiles: 20_000, loadFiles: 20_000, portsPerAddress: 28_232 };
const ROOMY = { serverFiles: 1_048_576, loadFiles: 20_000, portsPerAddress: 28_232 };

describe('scale planning', () => {
  it('reads the ephemeral port range and refuses what it cannot read', () => {
    expect(parsePortRange('32768\t60999\n')).toBe(28_232);
    expect(parsePortRange('1024 65535')).toBe(64_512);
    expect(() => parsePortRange('')).toThrow(/unreadable/);
    expect(() => parsePortRange('9 1')).toThrow(/unreadable/);
  });

  it('apportions whole numbers in proportion, adding up to the total', () => {
    expect(apportion(500, [19_900, 19_900, 10_200])).toEqual([199, 199, 102]);
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(0, [5, 5])).toEqual([0, 0]);
    expect(apportion(3, [0, 0])).toEqual([0, 0]);
  });

  it('spreads 50,000 connections over load processes on distinct source addresses when the server can hold them', () => {
    const plan = planScale(50_000, ROOMY);
    const perWorker = ROOMY.loadFiles - RESERVED_FDS;
    expect(plan.reduced).toBeNull();
    expect(plan.connections).toBe(50_000);
    expect(plan.active).toBe(50_000 * ACTIVE_FRACTION);
    expect(plan.workers.map((w) => w.connections)).toEqual([perWorker, perWorker, 50_000 - 2 * perWorker]);
    // 3,529 connections per address at most (an eighth of 28,232 ports): 6 + 6 + 3 addresses.
    expect(perAddress(28_232)).toBe(3529);
    expect(plan.workers.map((w) => w.addresses.length)).toEqual([6, 6, 3]);
    expect(plan.workers[0]!.addresses.slice(0, 2)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(plan.workers[2]!.addresses.at(-1)).toBe('127.0.0.16');
    expect(plan.addressCount).toBe(15);
    expect(new Set(plan.workers.flatMap((w) => w.addresses)).size).toBe(15);
    expect(plan.workers.reduce((sum, w) => sum + w.active, 0)).toBe(500);
    for (const w of plan.workers) expect(w.active).toBeLessThanOrEqual(w.connections);
  });

  it('keeps every address within its share of the ports, starting where it is told', () => {
    const plan = planScale(50_000, { ...ROOMY, loadFiles: 1_000_000, portsPerAddress: 10_000 }, 20);
    expect(plan.workers).toHaveLength(1);
    const [worker] = plan.workers;
    expect(worker!.addresses).toHaveLength(50_000 / perAddress(10_000));
    expect(worker!.addresses[0]).toBe('127.0.0.22');
  });

  it('runs the largest N the server can hold here, and says why', () => {
    const plan = planScale(50_000, HERE);
    expect(plan.connections).toBe(20_000 - RESERVED_FDS);
    expect(plan.active).toBe(199);
    expect(plan.workers).toEqual([{ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'], connections: 19_900, active: 199 }]);
    expect(plan.reduced).toMatch(/asked for 50000 connections, running 19900: a server process may open 20000 files/);
  });

  it('leaves a request that fits alone, with at least one active connection', () => {
    const plan = planScale(40, HERE);
    expect(plan).toMatchObject({ connections: 40, active: 1, reduced: null });
    expect(() => planScale(0, HERE)).toThrow(RangeError);
    expect(() => planScale(10, { ...HERE, serverFiles: 50 })).toThrow(/no connections fit/);
  });

  it('hands out fresh source addresses, wrapping within 127.0.0.2–254', () => {
    expect(sourceAddress(0)).toBe('127.0.0.2');
    expect(sourceAddress(252)).toBe('127.0.0.254');
    expect(sourceAddress(253)).toBe('127.0.0.2');
  });
});
