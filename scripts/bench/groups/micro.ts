/**
 * The in-process micro-benchmarks (parser, masking), run in a process of their own pinned to the
 * server core while nothing else runs.
 */
import { type Launch, SERVER_CPU, runToCompletion } from '../processes.js';
import type { Table } from '../table.js';
import type { Group, GroupOutput } from './common.js';

async function micro(name: string, rounds: number, roundMs: number, launch: Launch): Promise<GroupOutput> {
  const out = await runToCompletion('scripts/bench/micro/main.js', ['--groups', name, '--rounds', String(rounds), '--round-ms', String(roundMs)], SERVER_CPU, launch);
  const tables = JSON.parse(out) as Record<string, Table>;
  return { tables: Object.values(tables), errors: [] };
}

export const parser: Group = {
  name: 'parser',
  summary: 'in-process: 16 B, 1 KiB, 64 KiB masked frames in 16 KiB chunks, our parser against ws Receiver',
  run: (ctx) => micro('parser', ctx.config.rounds, ctx.config.microRoundMs, ctx.launch),
};

export const masking: Group = {
  name: 'masking',
  summary: 'in-process: applyMask against ws (JS) unmasking and memcpy bandwidth',
  run: (ctx) => micro('masking', ctx.config.rounds, ctx.config.microRoundMs, ctx.launch),
};
