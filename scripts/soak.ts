/**
 * The soak: many connections, sequence-numbered echo traffic, random abrupt disconnects and
 * reconnects, for minutes; the server and the load in separate processes. Prints messages sent,
 * echoed and lost (must be 0), and the server's heap and RSS at the start, at the peak, and after
 * a forced collection at the end (must be back near the start).
 *
 *   npm run soak                                            # 10,000 connections, 5 minutes
 *   npm run soak -- --connections 1000 --minutes 1          # a quick check
 *   npm run soak -- --rate 4000 --churn 50                  # messages/s, abrupt disconnects/s
 *
 * Exits 1 when a message was lost or altered, or the heap did not come back near its start.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openFileLimits } from './bench/proc.js';
import type { LoadCounters, LoadMessage, MemorySample, ServerMessage, ServerRequest } from './soak/protocol.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '2000' },
    churn: { type: 'string', default: '20' },
  },
});
let connections = Number(values.connections);
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const churn = Number(values.churn);
if (!(connections > 0 && minutes > 0 && rate >= 0 && churn >= 0)) {
  console.error('usage: npm run soak -- [--connections N] [--minutes M] [--rate MSG_PER_S] [--churn KILLS_PER_S]');
  process.exit(2);
}

// Each process holds one file descriptor per connection, plus some. Node raises its soft limit to
// the hard one at start; past that, only a re-exec through a shell with `ulimit -n` (as root) helps.
const needed = connections + 1024;
const REEXEC = 'RFC6455_SOAK_ULIMIT';
let { soft } = openFileLimits();
if (soft < needed && process.env[REEXEC] === undefined) {
  const raised = spawnSync('bash', ['-c', `ulimit -n ${needed} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [REEXEC]: '1' },
  });
  if (raised.status !== null && raised.error === undefined && raised.status !== 126) process.exit(raised.status);
}
soft = openFileLimits().soft;
if (soft < needed) {
  const fit = Math.max(1, soft - 1024);
  console.log(`file descriptor limit ${soft} is below the ${needed} needed and could not be raised (ulimit -n needs root or a higher hard limit): running with ${fit} connections instead of ${connections}`);
  connections = fit;
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const MiB = 1024 * 1024;
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

const server: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', here('./soak/server.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const serverGone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
const port = await new Promise<number>((resolve, reject) => {
  server.on('message', (m: ServerMessage) => m.type === 'listening' && resolve(m.port));
  server.once('exit', (code) => reject(new Error(`the soak server exited with ${code}`)));
});

let pendingMemory: Array<(m: MemorySample) => void> = [];
server.on('message', (m: ServerMessage) => {
  if (m.type !== 'memory') return;
  const waiting = pendingMemory;
  pendingMemory = [];
  for (const w of waiting) w(m);
});
const memory = (gc: boolean): Promise<MemorySample> =>
  new Promise((resolve) => {
    pendingMemory.push(resolve);
    server.send({ type: 'memory', gc } satisfies ServerRequest);
  });

const baseline = await memory(true);
console.log(`soak: ${connections} connections, ${minutes} min, ${rate} messages/s, ${churn} abrupt disconnects/s; server on port ${port}`);
console.log(`server at start (after GC): heap ${mib(baseline.heapUsed)}, RSS ${mib(baseline.rss)}, buffers ${mib(baseline.arrayBuffers)}`);

const started = Date.now();
const load: ChildProcess = spawn(
  process.execPath,
  ['--import', 'tsx', here('./soak/load.ts'), '--port', String(port), '--connections', String(connections), '--seconds', String(minutes * 60), '--rate', String(rate), '--churn', String(churn)],
  { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
);
let latest: LoadCounters | null = null;
const finished = new Promise<LoadCounters | null>((resolve) => {
  load.on('message', (m: LoadMessage) => {
    latest = m.counters;
    if (m.type === 'done') resolve(m.counters);
  });
  load.once('exit', () => resolve(null));
});

const peak = { heapUsed: baseline.heapUsed, rss: baseline.rss, arrayBuffers: baseline.arrayBuffers, connections: 0 };
let lastPrint = 0;
const sampler = setInterval(() => {
  void memory(false).then((m) => {
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    peak.connections = Math.max(peak.connections, m.connections);
    if (Date.now() - lastPrint >= 15_000 && latest !== null) {
      lastPrint = Date.now();
      const c: LoadCounters = latest;
      const t = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`${t.padStart(4)} s: ${c.open} open (server ${m.connections}), sent ${c.sent}, echoed ${c.echoed}, lost ${c.lost}, killed ${c.aborts}, heap ${mib(m.heapUsed)}, RSS ${mib(m.rss)}`);
    }
  });
}, 2000);
// Heap after a forced collection with the connections open, halfway and near the end of the
// traffic: growth between the two would be memory held per message, which the end cannot show.
const steady: Array<{ at: string; sample: MemorySample }> = [];
const steadyTimers = [0.5, 0.95].map((fraction) =>
  setTimeout(() => void memory(true).then((sample) => steady.push({ at: `${Math.round(fraction * 100)}%`, sample })), fraction * minutes * 60_000),
);
const guard = setTimeout(() => {
  console.log('soak: the load did not finish in time');
  load.kill('SIGKILL');
}, (minutes * 60 + 300) * 1000);

const counters = await finished;
clearTimeout(guard);
clearInterval(sampler);
for (const t of steadyTimers) clearTimeout(t);
const closeDeadline = Date.now() + 60_000;
let after = await memory(false);
while (after.connections > 0 && Date.now() < closeDeadline) {
  await new Promise((r) => setTimeout(r, 500));
  after = await memory(false);
}
after = await memory(true);
server.disconnect();
await serverGone;

const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (counters === null) {
  console.log('soak: FAILED, the load process ended without its final counts');
  process.exit(1);
}
const c = counters;
const heapGrowth = after.heapUsed - baseline.heapUsed;
const heapOk = heapGrowth < Math.max(8 * MiB, baseline.heapUsed * 0.25);
const ok = c.lost === 0 && c.corrupt === 0 && c.unexpectedEnds === 0 && c.uncleanCloses === 0 && after.connections === 0 && heapOk;
console.log('');
console.log(`soak: ${seconds} s, ${connections} connections (peak ${peak.connections} on the server), ${c.connects} handshakes, ${c.connectFailures} failed dials`);
console.log(`  messages: sent ${c.sent}, echoed ${c.echoed}, abandoned in flight on killed connections ${c.abandoned}, lost ${c.lost}, out of order or altered ${c.corrupt}`);
console.log(`  check: sent = echoed + abandoned + lost: ${c.sent === c.echoed + c.abandoned + c.lost ? 'yes' : 'NO'}`);
console.log(`  connections: killed abruptly ${c.aborts}, closed cleanly ${c.graceful}, unclean closes ${c.uncleanCloses}, ended by the server ${c.unexpectedEnds}; open at the end ${after.connections}`);
console.log(`  server heap:    start ${mib(baseline.heapUsed)}, peak ${mib(peak.heapUsed)}, end after GC ${mib(after.heapUsed)} (${heapGrowth >= 0 ? '+' : ''}${mib(heapGrowth)})`);
for (const { at, sample } of steady) {
  console.log(`  server heap after GC at ${at} of the run, ${sample.connections} connections open: ${mib(sample.heapUsed)} (${((sample.heapUsed - baseline.heapUsed) / Math.max(1, sample.connections) / 1024).toFixed(1)} KiB per connection above the start)`);
}
console.log(`  server RSS:     start ${mib(baseline.rss)}, peak ${mib(peak.rss)}, end after GC ${mib(after.rss)}`);
console.log(`  server buffers: start ${mib(baseline.arrayBuffers)}, peak ${mib(peak.arrayBuffers)}, end after GC ${mib(after.arrayBuffers)}`);
console.log(`soak: ${ok ? 'PASSED' : 'FAILED'}`);
process.exit(ok ? 0 : 1);
