import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { maskingTable } from '../../scripts/bench/micro/masking.js';
import { frameStream, parserTable } from '../../scripts/bench/micro/parser.js';
import { readsTable } from '../../scripts/bench/micro/reads.js';

describe('micro-benchmarks', () => {
  it('cuts whole frames into 16 KiB chunks', () => {
    const { chunks, frames, bytes } = frameStream(1024);
    expect(bytes).toBe(frames * (1024 + 8));
    expect(chunks.every((c, i) => c.length === 16 * 1024 || i === chunks.length - 1)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(bytes);
  });

  it('measures every parser at every size (each pass checks that every frame was delivered)', async () => {
    const table = await parserTable(1, 1);
    expect(table.rows).toHaveLength(9);
    for (const row of table.rows) {
      expect(row.values.ws![0]).toBeGreaterThan(0);
      expect(row.values.ours![0]).toBeGreaterThan(0);
    }
    expect(table.rows.filter((r) => r.target !== undefined).map((r) => r.target!.ratio)).toEqual([3, 4]);
  }, 30_000);

  it('measures masking against memcpy', async () => {
    const table = await maskingTable(1, 1);
    expect(table.rawLabel).toBe('memcpy');
    expect(table.rows.map((r) => Object.keys(r.values).sort())).toEqual([
      ['ours', 'raw', 'ws'],
      ['ours', 'raw', 'ws'],
      ['ours', 'raw', 'ws'],
    ]);
  });
});

describe('micro-benchmarks: one message per read', () => {
  it('times the stream echo and ours, each pass checking that every message was answered', async () => {
    const table = await readsTable(1, 1);
    expect(table.rows.map((r) => r.label)).toEqual([
      'one connection: ns per message (lower is better)',
      '256 connections in turn: ns per message (lower is better)',
      '16,384 connections in turn: ns per message (lower is better)',
      'one connection, 64 messages a read: ns per message (lower is better)',
      'one connection: bytes allocated a message (lower is better)',
      'one connection, 64 messages a read: bytes allocated a message (lower is better)',
    ]);
    for (const row of table.rows) {
      expect(row.values.raw![0]).toBeGreaterThan(0);
      expect(row.values.ours![0]).toBeGreaterThan(0);
    }
  });
});

describe('npm run bench command line', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/run.ts', ...args], { encoding: 'utf8', timeout: 20_000 });

  it('lists the groups in --help', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const g of ['pingpong', 'pipelined', 'connections', 'broadcast', 'idle', 'handshakes', 'deflate', 'parser', 'masking', 'reads']) {
      expect(r.stdout).toContain(`  ${g} `);
    }
  });

  it('refuses unknown groups and bad numbers before starting anything', () => {
    expect(run('--only', 'pipelined,nope').stderr).toMatch(/unknown group\(s\) nope/);
    expect(run('--rounds', '0').stderr).toMatch(/--rounds wants a positive integer/);
  });
});
