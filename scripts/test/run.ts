/**
 * `npm test`: the type check and the vitest suite at the same time. tsc spends about 10 s of one
 * core; the tests mostly wait on sockets and child processes, so running both at once shortens
 * the wall time without starving either. tsc's report is printed after the tests', and the run
 * fails if either fails.
 *
 *   tsx scripts/test/run.ts [vitest arguments...]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

const children: ChildProcess[] = [];

/** Exit code of a child (1 when it was killed by a signal). */
function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code ?? 1)));
}

const started = performance.now();
const tsc = spawn(process.execPath, [TSC, '-p', 'tsconfig.json', '--noEmit'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
let tscOutput = '';
tsc.stdout!.on('data', (d: Buffer) => (tscOutput += d.toString()));
tsc.stderr!.on('data', (d: Buffer) => (tscOutput += d.toString()));
const vitest = spawn(process.execPath, [VITEST, 'run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
children.push(tsc, vitest);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

const [tscCode, vitestCode] = await Promise.all([exitOf(tsc), exitOf(vitest)]);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (tscCode === 0) console.log(`type check: no errors (tsc ran beside the tests); ${seconds} s in all`);
else console.log(`type check FAILED (tsc exit ${tscCode}):\n${tscOutput}`);
process.exitCode = tscCode !== 0 ? tscCode : vitestCode;
