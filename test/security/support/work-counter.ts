/**
 * Counts the work the library does, independently of wall-clock speed: V8's precise block
 * coverage counts how many times each block (function body, loop body, branch) of the library's
 * own source ran. For a linear-time algorithm, doubling the input doubles the count; a
 * quadratic one quadruples it. The server under test runs in this process, so the count covers
 * everything it did for a request, from the socket's data event to the answer.
 *
 * Start it before any library code runs (in `beforeAll`): functions compiled before counting
 * began are not counted, which would make later measurements read low.
 */
import { Session } from 'node:inspector/promises';

/** Scripts counted: the library's sources (`src/`), not the tests or their helpers. */
const LIBRARY_SOURCE = /\/src\/[^?]*\.ts/;

export class WorkCounter {
  private readonly session = new Session();
  private started = false;

  async start(): Promise<void> {
    if (this.started) return;
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    this.started = true;
  }

  /** Block executions in the library while `action` runs (counts are reset before it starts). */
  async measure(action: () => Promise<void>): Promise<number> {
    await this.start();
    await this.session.post('Profiler.takePreciseCoverage'); // resets the counters
    await action();
    const { result } = await this.session.post('Profiler.takePreciseCoverage');
    let total = 0;
    for (const script of result) {
      if (!LIBRARY_SOURCE.test(script.url)) continue;
      for (const fn of script.functions) for (const range of fn.ranges) total += range.count;
    }
    return total;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.session.post('Profiler.stopPreciseCoverage');
    await this.session.post('Profiler.disable');
    this.session.disconnect();
    this.started = false;
  }
}
