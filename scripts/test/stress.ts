/**
 * `npm run test:stress`: `npm test` with two CPU-burning processes beside it, several times in a
 * row (3 by default, `-- --runs N`). On a 2-core machine the suite then gets about half the CPU
 * it would alone: a test that depends on timing fails here. Every run must pass.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));
const BURNERS = 2;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number above 0, not ${values.runs}`);

/** A process that keeps one core busy until it is killed (or its parent goes away). */
function burner(): ChildProcess {
  const loop = 'process.on("disconnect", () => process.exit()); for (;;) {}';
  return spawn(process.execPath, ['-e', loop], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
}

function runSuite(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', RUN], { cwd: ROOT, stdio: 'inherit' });
  return new Promise((resolve) => child.once('close', (code) => resolve(code ?? 1)));
}

const burners = Array.from({ length: BURNERS }, burner);
const stop = (): void => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('exit', stop);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop();
    process.exit(130);
  });
}

const results: string[] = [];
let failed = 0;
for (let i = 1; i <= runs; i++) {
  console.log(`\n=== stress run ${i} of ${runs}: npm test beside ${BURNERS} busy loops ===\n`);
  const started = performance.now();
  const code = await runSuite();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code !== 0) failed++;
  results.push(`run ${i}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds} s`);
}
stop();
console.log(`\nstress: ${results.join('; ')}`);
console.log(`${runs - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
