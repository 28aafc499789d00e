/**
 * `npm run bench`: rfc6455 side by side with `ws` and raw TCP, printed as markdown tables.
 * Servers run on CPU 0, the load generator on CPU 1; every figure is the median of several
 * rounds with the min–max beside it. Progress goes to stderr, the report to stdout.
 *
 *   npm run bench                      # everything, about ten minutes
 *   npm run bench -- --quick           # shorter rounds, fewer of them
 *   npm run bench -- --only pipelined,broadcast
 *   npm run bench -- --profile         # CPU profiles of our servers, summarised
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';
import { NO_BUN_NOTE, findBun } from './bun.js';
import { type BenchConfig, FULL, QUICK } from './config.js';
import type { Context, GroupOutput } from './groups/common.js';
import { GROUPS } from './groups/index.js';
import { LoadGenerator, hasTaskset } from './processes.js';
import { openFileLimits } from './proc.js';
import { runProfiles } from './profile.js';
import { renderCpuTable, renderTable } from './table.js';

const HELP = `Usage: npm run bench -- [options]

  --quick             ${QUICK.rounds} short rounds per figure instead of ${FULL.rounds}
  --only G[,G...]     run only these groups: ${GROUPS.map((g) => g.name).join(', ')}
  --rounds N          rounds per figure
  --duration MS       measuring window of each round (after its warm-up)
  --connections N     connections of the \`scale\` group (default ${FULL.scaleConnections}; the most that fit when fewer)
  --json FILE         also write every round's figures as JSON
  --no-pin            do not pin processes with taskset
  --no-wait           do not wait for other processes to go quiet before each measurement
  --profile           profile our servers (pipelined 32 B, 1 KiB and 64 KiB, 256 connections, broadcast, handshakes) and the raw TCP echo (256 connections, handshakes) instead, and summarise
  --profile-dir DIR   where the .cpuprofile files go (default: bench-profiles)
  --top N             functions listed per profile (default: 25)

Groups:
${GROUPS.map((g) => `  ${g.name.padEnd(12)} ${g.summary}`).join('\n')}
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    json: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string', default: 'bench-profiles' },
    top: { type: 'string', default: '25' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const base = values.quick ? QUICK : FULL;
const config: BenchConfig = {
  ...base,
  ...(values.rounds !== undefined ? { rounds: positive(values.rounds, '--rounds') } : {}),
  ...(values.duration !== undefined ? { timing: { ...base.timing, durationMs: positive(values.duration, '--duration') } } : {}),
  ...(values.connections !== undefined ? { scaleConnections: positive(values.connections, '--connections') } : {}),
};
const selected = values.only === undefined ? GROUPS : selectGroups(values.only);
const pin = !values['no-pin'];
const log = (message: string): void => void process.stderr.write(`${message}\n`);
/** Before each measurement, wait (up to a minute) until other processes use under 15% of a core. */
const QUIET_GATE = { threshold: 0.15, maxWaitMs: 60_000 };
const PROFILE_WARMUP_MS = 500;
const PROFILE_MS = 4000;

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`${flag} wants a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function selectGroups(list: string): typeof GROUPS {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length > 0) throw new Error(`unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`);
  return GROUPS.filter((g) => names.includes(g.name));
}

function machine(): string[] {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const wsVersion = (JSON.parse(readFileSync(new URL(import.meta.resolve('ws/package.json')), 'utf8')) as { version: string }).version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', 'src', 'scripts'], { encoding: 'utf8' }).trim() !== '') commit += ' + local changes';
  } catch {
    // not a git checkout
  }
  const { soft, hard } = openFileLimits();
  const bun = findBun();
  return [
    `- CPU: ${model}, ${cpus().length} cores; kernel ${release()}; Node ${process.version}; ws ${wsVersion} (no native add-ons); rfc6455 ${commit}`,
    bun === null ? `- ${NO_BUN_NOTE}` : `- Bun ${bun.version} (the \`bun\` dev dependency's binary, its built-in \`Bun.serve\` WebSocket server)`,
    `- Pinning: ${pin && hasTaskset() ? 'servers and in-process benchmarks on CPU 0, load generator on CPU 1 (taskset)' : 'none'}; open files ${soft}/${hard}`,
    `- Quiet gate: ${values['no-wait'] ? 'off' : `before each measurement, wait up to ${QUIET_GATE.maxWaitMs / 1000} s for other processes to use under ${QUIET_GATE.threshold * 100}% of a core`}`,
    values.profile
      ? `- Profiles: our servers under \`node --cpu-prof\`, ${PROFILE_WARMUP_MS} ms warm-up + ${PROFILE_MS} ms of load each`
      : `- Rounds: ${config.rounds} per figure, ${config.timing.warmupMs} ms warm-up + ${config.timing.durationMs} ms window each; cells are median (min–max)`,
  ];
}

function loadLine(when: string): string {
  return `- Load average ${when}: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
}

async function main(): Promise<void> {
  const launch = { pin };
  const loadgen = LoadGenerator.start(launch);
  const quiet = values['no-wait'] ? null : QUIET_GATE;
  const ctx: Context = { config, loadgen, launch, quiet, log };
  const out: string[] = [`## rfc6455 benchmark${values.quick ? ' (quick)' : ''}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', ...machine(), loadLine('at start')];
  const started = performance.now();
  try {
    if (values.profile) {
      out.push('', ...(await runProfiles(ctx, values['profile-dir'], positive(values.top, '--top'), { warmupMs: PROFILE_WARMUP_MS, durationMs: PROFILE_MS })));
      process.stdout.write(`${out.join('\n')}\n`);
      return;
    }
    const outputs: Array<{ group: string; output: GroupOutput }> = [];
    const errors: string[] = [];
    process.stdout.write(`${out.join('\n')}\n`);
    for (const group of selected) {
      log(`[${group.name}] ${group.summary}`);
      let output: GroupOutput;
      try {
        output = await group.run(ctx);
      } catch (err) {
        errors.push(`${group.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        continue;
      }
      outputs.push({ group: group.name, output });
      errors.push(...output.errors);
      const section = ['', ...output.tables.map((t) => `${renderTable(t)}\n`)];
      if (output.cpu !== undefined) section.push(renderCpuTable(output.cpu.title, output.cpu.rows, output.cpu.rawLabel));
      process.stdout.write(`${section.join('\n')}\n`);
    }
    const tail = ['', loadLine('at end'), `- Duration: ${((performance.now() - started) / 60_000).toFixed(1)} min`];
    if (errors.length > 0) tail.push('', '### Errors', '', ...errors.map((e) => `- ${e.replaceAll('\n', '\n  ')}`));
    process.stdout.write(`${tail.join('\n')}\n`);
    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify({ config, machine: machine(), outputs }, null, 2)}\n`);
      log(`wrote ${values.json}`);
    }
    if (errors.length > 0) process.exitCode = 1;
  } finally {
    loadgen.stop();
  }
}

await main();
