/**
 * The in-process micro-benchmarks (parser, masking, reads), run in a process of their own pinned to the
 * server core while nothing else runs.
 */
import { SERVER_CPU, runToCompletion } from '../processes.js';
import type { Table } from '../table.js';
import { type Context, type Group, type GroupOutput, beforeMeasuring } from './common.js';

async function micro(ctx: Context, name: string): Promise<GroupOutput> {
  await beforeMeasuring(ctx);
  const { rounds, microRoundMs: roundMs } = ctx.config;
  const out = await runToCompletion('scripts/bench/micro/main.js', ['--groups', name, '--rounds', String(rounds), '--round-ms', String(roundMs)], SERVER_CPU, ctx.launch);
  const tables = JSON.parse(out) as Record<string, Table>;
  return { tables: Object.values(tables), errors: [] };
}

export const parser: Group = {
  name: 'parser',
  summary: 'in-process: 16 B, 1 KiB, 64 KiB masked frames in 16 KiB chunks, our parser against ws Receiver',
  run: (ctx) => micro(ctx, 'parser'),
};

export const masking: Group = {
  name: 'masking',
  summary: 'in-process: applyMask against ws (JS) unmasking and memcpy bandwidth',
  run: (ctx) => micro(ctx, 'masking'),
};

export const reads: Group = {
  name: 'reads',
  summary: 'in-process: 32 B messages through a server Conn and ws over a stream (one a read on 1, 256 and 16,384 connections, 64 a read on 1), against a stream echo: ns and bytes allocated per message',
  run: (ctx) => micro(ctx, 'reads'),
};
