/** The fuzz property: every case, played against the server at `port`, ends as the RFC allows. */
import fc from 'fast-check';
import { type FuzzCase, FUZZ_LIMITS, describeCase, fuzzCase } from './cases.js';
import { runCase } from './run-case.js';

export interface FuzzRun {
  /** Cases played (the failing one and its shrinking included). */
  cases: number;
  /** null when every case passed. */
  failure: { seed: number; path: string; problem: string; example: string } | null;
}

export interface FuzzOptions {
  numRuns: number;
  seed?: number;
  /** Replays one failing case (with `seed`), as printed by an earlier run. */
  path?: string;
  /** Checked after every case: a crashed server process, say. Returns why it is not healthy. */
  healthCheck?: () => string | null;
}

/** Runs `numRuns` cases against the server at `port` and reports the first failure, shrunk. */
export async function fuzz(port: number, options: FuzzOptions): Promise<FuzzRun> {
  let cases = 0;
  let lastProblem = '';
  const property = fc.asyncProperty(fuzzCase, async (c: FuzzCase) => {
    cases++;
    const problem = (await runCase(port, c, FUZZ_LIMITS)) ?? options.healthCheck?.() ?? null;
    if (problem !== null) lastProblem = `${problem}\n  case: ${describeCase(c)}`;
    return problem === null;
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  if (!details.failed) return { cases, failure: null };
  const example = details.counterexample?.[0];
  return {
    cases,
    failure: {
      seed: details.seed,
      path: details.counterexamplePath ?? '',
      problem: lastProblem || String(details.errorInstance),
      example: example !== undefined ? describeCase(example) : '',
    },
  };
}
