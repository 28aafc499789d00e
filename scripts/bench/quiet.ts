/**
 * Waiting for a quiet machine before each measurement. On a shared machine other work comes in
 * bursts; between two jobs our own processes are idle, so whatever CPU the machine uses then
 * belongs to someone else. A short wait for it to pass is cheaper than a noisy figure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { machineCpuSeconds } from './proc.js';

export interface QuietGate {
  /** CPU (in cores) other processes may use for the machine to count as quiet. */
  threshold: number;
  /** Give up waiting after this long and measure anyway (the CPU tables will show the noise). */
  maxWaitMs: number;
}

/** Samples the machine's CPU use over `sampleMs`, in cores. */
export async function machineLoad(sampleMs = 300): Promise<number> {
  const before = machineCpuSeconds();
  const t0 = performance.now();
  await sleep(sampleMs);
  return (machineCpuSeconds() - before) / ((performance.now() - t0) / 1000);
}

/** Resolves once the machine is quiet, or after `maxWaitMs`; returns how long it waited. */
export async function waitForQuiet(gate: QuietGate, log: (message: string) => void): Promise<number> {
  const t0 = performance.now();
  let load = await machineLoad();
  if (!(load > gate.threshold)) return 0;
  log(`  (waiting for a quiet machine: other processes use ${Math.round(load * 100)}% of a core)`);
  while (load > gate.threshold && performance.now() - t0 < gate.maxWaitMs) {
    await sleep(1000);
    load = await machineLoad();
  }
  if (load > gate.threshold) log(`  (still ${Math.round(load * 100)}% after ${Math.round(gate.maxWaitMs / 1000)} s; measuring anyway)`);
  return performance.now() - t0;
}
