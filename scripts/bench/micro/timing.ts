/**
 * Timing in-process workloads: each subject gets an untimed warm-up round, then the rounds are
 * interleaved (a, b, c, a, b, c, ...) so that a slow spell of the machine hits every subject alike.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export interface PassResult {
  /** Work units done by the pass (frames, calls). */
  units: number;
  bytes: number;
}

export interface Workload {
  /** Builds fresh state and returns one pass over the input; called once per round, untimed. */
  prepare(): () => PassResult;
}

export interface RoundResult extends PassResult {
  seconds: number;
}

/** Runs passes until `roundMs` has elapsed. */
export function timeRound(workload: Workload, roundMs: number): RoundResult {
  const pass = workload.prepare();
  let units = 0;
  let bytes = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    const r = pass();
    units += r.units;
    bytes += r.bytes;
    elapsed = performance.now() - t0;
  } while (elapsed < roundMs);
  return { units, bytes, seconds: elapsed / 1000 };
}

export async function measureRounds(
  subjects: ReadonlyArray<{ key: string; workload: Workload }>,
  rounds: number,
  roundMs: number,
): Promise<Map<string, RoundResult[]>> {
  const results = new Map<string, RoundResult[]>(subjects.map((s) => [s.key, []]));
  for (const s of subjects) {
    timeRound(s.workload, roundMs);
    await yieldToLoop(); // let stream bookkeeping deferred to the event loop run between rounds
  }
  for (let round = 0; round < rounds; round++) {
    for (const s of subjects) {
      results.get(s.key)!.push(timeRound(s.workload, roundMs));
      await yieldToLoop();
    }
  }
  return results;
}
