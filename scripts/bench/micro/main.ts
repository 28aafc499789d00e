/**
 * The in-process micro-benchmarks, run by `run.ts` in a process of their own pinned to one core.
 * Prints the tables as JSON on stdout.
 *
 *   node --import tsx scripts/bench/micro/main.ts --groups parser,masking,reads --rounds 5 --round-ms 250
 */
import { parseArgs } from 'node:util';
import type { Table } from '../table.js';
import { maskingTable } from './masking.js';
import { parserTable } from './parser.js';
import { readsTable } from './reads.js';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: 'parser,masking' },
    rounds: { type: 'string', default: '5' },
    'round-ms': { type: 'string', default: '250' },
  },
});
const rounds = Number(values.rounds);
const roundMs = Number(values['round-ms']);
const groups = values.groups.split(',');

const tables: Record<string, Table> = {};
if (groups.includes('parser')) tables.parser = await parserTable(rounds, roundMs);
if (groups.includes('masking')) tables.masking = await maskingTable(rounds, roundMs);
if (groups.includes('reads')) tables.reads = await readsTable(rounds, roundMs);
process.stdout.write(`${JSON.stringify(tables)}\n`);
