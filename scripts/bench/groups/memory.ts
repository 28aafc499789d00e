/**
 * Memory of a server under test, for the idle and scale scenarios: node servers run unmodified
 * with `memory-probe.ts` preloaded and answer over IPC; the Bun server answers `GET /bench/memory`.
 * Either way a full GC runs first, and RSS is read from /proc, outside the process.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { residentBytes } from '../proc.js';
import { BUILD_ROOT, type RunningServer } from '../processes.js';
import { MEMORY_PATH } from '../servers/bun-api.js';
import { BUN_ECHO, type Subject, withBun } from './common.js';

/**
 * The young generation is capped for every Node server alike: opening thousands of connections at
 * once grows V8's semi-spaces, whose pages stay resident after the GC, and that growth (a
 * process's, set by the burst, not by what each connection keeps) would be divided among the
 * connections: measured, it was most of the RSS beyond the live heap, and it made the figure vary with N.
 */
const probeFlags = (): string[] => [
  '--expose-gc',
  '--max-semi-space-size=1',
  '--import',
  pathToFileURL(join(BUILD_ROOT, 'scripts/bench/servers/memory-probe.js')).href,
];

/** The echo servers, each able to report its memory (Bun's when its binary is installed). */
export function memorySubjects(): Subject[] {
  return withBun(
    [
      { impl: 'raw', kind: 'tcp', spec: { script: 'scripts/bench/servers/tcp-echo.js', nodeFlags: probeFlags(), ipc: true } },
      { impl: 'ws', kind: 'ws', spec: { script: 'scripts/bench/servers/ws-echo.js', nodeFlags: probeFlags(), ipc: true } },
      { impl: 'ours', kind: 'ws', spec: { script: 'scripts/echo-server.js', nodeFlags: probeFlags(), ipc: true } },
    ],
    BUN_ECHO,
  );
}

export interface Snapshot {
  rss: number;
  heapUsed: number;
}

interface ProbeAnswer {
  memory?: NodeJS.MemoryUsage;
  error?: string;
}

async function askBun(server: RunningServer): Promise<ProbeAnswer> {
  const response = await fetch(`http://${server.host}:${server.port}${MEMORY_PATH}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) return { error: `the Bun server answered ${response.status}` };
  return { memory: (await response.json()) as NodeJS.MemoryUsage };
}

export async function snapshot(server: RunningServer, subject: Subject): Promise<Snapshot> {
  const answer = subject.spec.bun === undefined ? await server.request<ProbeAnswer>('memory') : await askBun(server);
  if (answer.memory === undefined) throw new Error(answer.error ?? 'no memory figures');
  return { rss: residentBytes(server.pid), heapUsed: answer.memory.heapUsed };
}

/** Bun's heap is JavaScriptCore's, not V8's: the row label says which. */
export const HEAP_NOTE = 'Bun: heap is JavaScriptCore\'s `heapUsed` after `Bun.gc(true)`; its sockets live mostly outside the JS heap (uWebSockets, C++), so compare RSS.';
