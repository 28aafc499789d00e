/**
 * The measuring window: load runs for a warm-up, then counters, clocks and CPU times are read at
 * both edges of the window while the load keeps running, so neither start-up nor teardown is
 * ever part of a figure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Timing } from '../jobs.js';
import { cpuSeconds, machineCpuSeconds } from '../proc.js';

export interface Progress {
  count: number;
  payloadBytes: number;
}

export interface WindowResult extends Progress {
  seconds: number;
  loadCpu: number;
  serverCpu: number;
  otherCpu: number;
}

export interface WindowHooks {
  /** Current totals; the window reports how much they grew inside it. */
  progress(): Progress;
  /** Called as the window opens and closes (e.g. to start and stop collecting latencies). */
  onOpen?(): void;
  onClose?(): void;
}

export async function measureWindow(timing: Timing, serverPid: number, hooks: WindowHooks): Promise<WindowResult> {
  await sleep(timing.warmupMs);
  hooks.onOpen?.();
  const start = hooks.progress();
  const t0 = performance.now();
  const load0 = process.cpuUsage();
  const server0 = cpuSeconds(serverPid);
  const machine0 = machineCpuSeconds();
  await sleep(timing.durationMs);
  const end = hooks.progress();
  const seconds = (performance.now() - t0) / 1000;
  const load = process.cpuUsage(load0);
  const server1 = cpuSeconds(serverPid);
  const machine1 = machineCpuSeconds();
  hooks.onClose?.();
  const loadCpu = (load.user + load.system) / 1e6 / seconds;
  const serverCpu = (server1 - server0) / seconds;
  return {
    count: end.count - start.count,
    payloadBytes: end.payloadBytes - start.payloadBytes,
    seconds,
    loadCpu,
    serverCpu,
    // Everything else the machine ran meanwhile: the noise figure of this window.
    otherCpu: Math.max(0, (machine1 - machine0) / seconds - loadCpu - serverCpu),
  };
}

/** Polls `condition` until it holds; throws after `timeoutMs`. For set-up steps, never for load. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
