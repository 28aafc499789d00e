/**
 * Every ```ts block of the README is type-checked and run (scripts/readme-examples.ts extracts
 * them, so what is tested is what the README shows): servers are started on a free port, dialed
 * and made to echo, then stopped; clients are run against an echo server; scripts must run to
 * completion. None may print to stderr.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dialer, TextMessage, serve } from '../../src/index.js';
import { EXAMPLES_DIR, type WrittenExample, writeExamples } from '../../scripts/readme-examples.js';
import { startServerProcess } from '../helpers/server-process.js';
import { onCleanup } from '../helpers/servers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = writeExamples();
const named = (kind: WrittenExample['kind']) => examples.filter((e) => e.kind === kind).map((e) => [`line ${e.line} (${e.section})`, e] as const);

describe('README examples', () => {
  let typeErrors = '';
  beforeAll(async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    typeErrors = await run(process.execPath, [tsc, '-p', join(EXAMPLES_DIR, 'tsconfig.json')], { cwd: root }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
  }, 120_000);

  it('are there: three servers, a client, and scripts', () => {
    expect(examples.filter((e) => e.kind === 'server').length).toBeGreaterThanOrEqual(3);
    expect(examples.filter((e) => e.kind === 'client').length).toBeGreaterThanOrEqual(1);
    expect(examples[0]!.code).toContain('handleUpgrade'); // the first server example needs no try/catch
  });

  it('type-check', () => {
    expect(typeErrors).toBe('');
  });

  it.each(named('server'))('server at %s listens, echoes, and stops quietly', async (_name, example) => {
    const server = await startServerProcess(example.file, /listening on (ws:\/\/\S+)/);
    const { conn } = await new Dialer().dial(server.ready[1]!);
    await conn.writeMessage(TextMessage, 'echo me');
    let echoed = '';
    while (echoed !== 'echo me') echoed = (await conn.readMessage()).data.toString();
    await conn.close();
    expect(server.laterOutput()).toBe('');
    expect(server.exited()).toBe(false);
    await server.stop();
  }, 30_000);

  it.each(named('client'))('client at %s talks to an echo server and exits', async (_name, example) => {
    const server = await serve({ port: 0, path: '/socket' }, async (conn) => {
      const { type, data } = await conn.readMessage();
      await conn.writeMessage(type, data); // then the handler returns: closed with 1000
    });
    onCleanup(() => server.close());
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', example.file], {
      cwd: root,
      env: { ...process.env, WS_URL: `${server.url}?room=1` },
      timeout: 20_000,
    });
    expect(stderr).toBe('');
    expect(stdout).toContain('101');
    expect(stdout).toContain('1 hello');
  }, 30_000);

  it.each(named('client'))('client at %s exits quietly when the server drops TCP', async (_name, example) => {
    const server = await serve({ port: 0, path: '/socket' }, async (conn) => {
      const { type, data } = await conn.readMessage();
      await conn.writeMessage(type, data);
      conn.closeNow(); // no close frame: the client sees 1006
    });
    onCleanup(() => server.close());
    const { stderr } = await run(process.execPath, ['--import', 'tsx', example.file], {
      cwd: root,
      env: { ...process.env, WS_URL: `${server.url}?room=1` },
      timeout: 20_000,
    });
    expect(stderr).toBe('');
  }, 30_000);

  it.each(named('script'))('script at %s runs to completion', async (_name, example) => {
    const { stderr } = await run(process.execPath, ['--import', 'tsx', example.file], { cwd: root, timeout: 20_000 });
    expect(stderr).toBe('');
  }, 30_000);
});
