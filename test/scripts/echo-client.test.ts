/**
 * The contract of scripts/echo-client.ts, the Autobahn fuzzingserver driver, against a fake
 * fuzzingserver: it asks /getCaseCount, runs every case echoing each message with its type, asks
 * /updateReports with its agent, and exits 0.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BinaryMessage, type Conn, type Message, TextMessage, serve } from '../../src/index.js';
import { onCleanup } from '../helpers/servers.js';

interface CaseRun {
  path: string;
  echoed: Message[];
  /** Whether permessage-deflate was negotiated for the case. */
  compressed: boolean;
}

/** What a fuzzingserver case sends: a few messages of both types, then a close. */
function caseMessages(n: number): Message[] {
  return [
    { type: TextMessage, data: Buffer.from(`case ${n}: héllo`) },
    { type: BinaryMessage, data: Buffer.from([n, 0, 255, 1]) },
    { type: TextMessage, data: Buffer.from('') },
    { type: BinaryMessage, data: Buffer.alloc(70_000, n) },
  ];
}

async function fakeFuzzingServer(cases: number): Promise<{ url: string; runs: CaseRun[]; reports: string[] }> {
  const runs: CaseRun[] = [];
  const reports: string[] = [];
  const upgrader = { enableCompression: { threshold: 0 } };
  const server = await serve({ port: 0, upgrader, onError: () => {} }, async (conn: Conn, request) => {
    const url = new URL(request.url, 'ws://fuzzer');
    if (url.pathname === '/getCaseCount') {
      await conn.writeMessage(TextMessage, String(cases));
      await conn.close();
    } else if (url.pathname === '/runCase') {
      const run: CaseRun = { path: request.url, echoed: [], compressed: conn.compression !== null };
      runs.push(run);
      const messages = caseMessages(Number(url.searchParams.get('case')));
      for (const m of messages) await conn.writeMessage(m.type, m.data);
      for (let i = 0; i < messages.length; i++) run.echoed.push(await conn.readMessage());
      await conn.close();
    } else if (url.pathname === '/updateReports') {
      reports.push(request.url);
      await conn.close();
    } else {
      await conn.close(1008, 'unknown path');
    }
  });
  onCleanup(async () => {
    for (const c of server.connections) c.closeNow();
    await server.close();
  });
  return { url: server.url, runs, reports };
}

function runClient(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/echo-client.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('scripts/echo-client.ts', () => {
  it('runs every case, echoing messages with their types, then updates the reports', async () => {
    const fuzzer = await fakeFuzzingServer(3);
    const result = await runClient(['--url', fuzzer.url, '--agent', 'rfc6455 test']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fuzzer.runs.map((r) => r.path)).toEqual([1, 2, 3].map((n) => `/runCase?case=${n}&agent=rfc6455%20test`));
    for (const [i, run] of fuzzer.runs.entries()) expect(run.echoed).toEqual(caseMessages(i + 1));
    expect(fuzzer.reports).toEqual(['/updateReports?agent=rfc6455%20test']);
    expect(result.stdout).toContain('3 cases');
    expect(fuzzer.runs.every((r) => !r.compressed)).toBe(true);
  }, 30_000);

  it('offers permessage-deflate with --compression', async () => {
    const fuzzer = await fakeFuzzingServer(2);
    const result = await runClient(['--url', fuzzer.url, '--agent', 'z', '--compression']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fuzzer.runs.map((r) => r.compressed)).toEqual([true, true]);
    for (const [i, run] of fuzzer.runs.entries()) expect(run.echoed).toEqual(caseMessages(i + 1));
  }, 30_000);

  it('exits 1 when the fuzzingserver gives no case count', async () => {
    const fuzzer = await fakeFuzzingServer(0);
    const port = new URL(fuzzer.url).port;
    const result = await runClient(['--url', `ws://127.0.0.1:${port}/nowhere/`, '--agent', 'a']);
    // The unknown path is closed with 1008 before any count is sent.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/echo-client:/);
  }, 30_000);
});
