/**
 * What an idle connection holds on the V8 heap, object kind by object kind: heap snapshots of an
 * echo server before and after opening N idle connections, diffed, divided by N. The input for
 * shrinking per-connection memory (the `idle` scenario says how much; this says what).
 *
 *   node node_modules/.cache/rfc6455-bench/scripts/bench/heap-census.js [--server ours|ws] [--connections 2000] [--top 25]
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openMany } from './loadgen/connect.js';
import { type RunningServer, assertOpenFiles, startServer } from './processes.js';

/** The parts of the `.heapsnapshot` format used here. */
export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size of every kind of heap node, keyed `type:name` (e.g. `object:Conn`, `closure:next`). */
export type Census = Map<string, { count: number; bytes: number }>;

export function censusOf(snapshot: HeapSnapshot): Census {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const census: Census = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const key = `${types[snapshot.nodes[i + typeAt]!]}:${snapshot.strings[snapshot.nodes[i + nameAt]!]!.slice(0, 60)}`;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt]!;
    census.set(key, entry);
  }
  return census;
}

export interface CensusRow {
  kind: string;
  countPer: number;
  bytesPer: number;
}

/** What `after` holds beyond `before`, per connection, largest first. */
export function diffCensus(before: Census, after: Census, connections: number): CensusRow[] {
  const rows: CensusRow[] = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, countPer: (a.count - b.count) / connections, bytesPer: (a.bytes - b.bytes) / connections });
  }
  return rows.sort((x, y) => y.bytesPer - x.bytesPer);
}

export function renderCensus(title: string, rows: CensusRow[], top: number): string {
  const total = rows.reduce((sum, r) => sum + r.bytesPer, 0);
  const lines = [`#### ${title}`, '', `V8 heap, self sizes: ${total.toFixed(0)} bytes per connection.`, '', '| bytes/conn | count/conn | kind |', '| ---: | ---: | --- |'];
  for (const r of rows.slice(0, top)) lines.push(`| ${r.bytesPer.toFixed(0)} | ${r.countPer.toFixed(2)} | \`${r.kind}\` |`);
  return lines.join('\n');
}

const SERVERS = { ours: 'scripts/echo-server.js', ws: 'scripts/bench/servers/ws-echo.js' } as const;

async function snapshot(server: RunningServer, dir: string): Promise<Census> {
  const before = new Set(readdirSync(dir));
  server.child.kill('SIGUSR2');
  for (;;) {
    await sleep(200);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    try {
      const census = censusOf(JSON.parse(readFileSync(join(dir, file), 'utf8')) as HeapSnapshot);
      rmSync(join(dir, file));
      return census;
    } catch {
      // still being written
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'ours' },
      connections: { type: 'string', default: '2000' },
      top: { type: 'string', default: '25' },
    },
  });
  const name = values.server as keyof typeof SERVERS;
  if (!(name in SERVERS)) throw new Error(`--server is ours or ws, not ${values.server}`);
  const n = Number(values.connections);
  assertOpenFiles(n + 1024);
  const dir = mkdtempSync(join(tmpdir(), 'rfc6455-census-'));
  const server = await startServer({ script: SERVERS[name], nodeFlags: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] }, { pin: false });
  try {
    const endpoint = { kind: 'ws' as const, host: server.host, port: server.port, serverPid: server.pid };
    for (const c of await openMany(endpoint, 100, 50)) c.socket.destroy(); // warm lazily built state
    await sleep(500);
    const before = await snapshot(server, dir);
    const conns = await openMany(endpoint, n, 100);
    await sleep(500);
    const after = await snapshot(server, dir);
    for (const c of conns) c.socket.destroy();
    console.log(renderCensus(`${SERVERS[name].replace(/\.js$/, '.ts')}, ${n} idle connections`, diffCensus(before, after, n), Number(values.top)));
  } finally {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
