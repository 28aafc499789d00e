/**
 * The long fuzz: random valid and invalid frame sequences, in random TCP chunkings, against the
 * echo server running in a child process (so a crash is seen as one), for a given time.
 *
 *   npm run fuzz                          # 3 minutes
 *   npm run fuzz -- --minutes 10          # longer
 *   npm run fuzz -- --seed S --path P     # replay a failure, as printed
 *
 * Prints the number of cases played and, on failure, the seed and path to replay it; exits 1 then.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzz } from './fuzz/property.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    batch: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const batch = Number(values.batch);
if (!(minutes > 0) || !Number.isInteger(batch) || batch <= 0) {
  console.error('usage: npm run fuzz -- [--minutes M] [--batch N] [--seed S --path P]');
  process.exit(2);
}

const serverScript = fileURLToPath(new URL('./fuzz/server.ts', import.meta.url));
const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', serverScript, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
let exited: string | null = null;
child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
child.once('exit', (code, signal) => (exited = `the server process exited (code ${code}, signal ${signal})`));
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on ws:\/\/[^:]+:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', () => reject(new Error(`the fuzz server did not start: ${out}${stderr}`)));
});

/** The server must stay up and say nothing: anything on stderr is an error it printed. */
const healthCheck = (): string | null => exited ?? (stderr.length > 0 ? `the server printed: ${stderr.slice(0, 2000)}` : null);

const started = Date.now();
const deadline = started + minutes * 60_000;
let total = 0;
let batches = 0;
let exitCode = 0;
const replay = values.seed !== undefined;
do {
  const seed = replay ? Number(values.seed) : (Math.random() * 2 ** 31) | 0;
  const run = await fuzz(port, { numRuns: batch, seed, ...(values.path !== undefined ? { path: values.path } : {}), healthCheck });
  total += run.cases;
  batches++;
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  if (run.failure !== null) {
    console.log(`FAILED after ${total} cases (${elapsed} s), seed ${run.failure.seed}, path ${run.failure.path}`);
    console.log(`  ${run.failure.problem}`);
    console.log(`  shrunk: ${run.failure.example}`);
    console.log(`  replay: npm run fuzz -- --seed ${run.failure.seed} --path ${run.failure.path}`);
    exitCode = 1;
    break;
  }
  console.log(`batch ${batches}: seed ${seed}, ${run.cases} cases, ${total} in all, ${elapsed} s`);
} while (!replay && Date.now() < deadline);

child.kill('SIGTERM');
if (exitCode === 0) console.log(`fuzz: ${total} cases in ${((Date.now() - started) / 1000).toFixed(0)} s, no failure; the server stayed up`);
process.exit(exitCode);
