/** A second `npm start` on a busy port says so in one line and exits 1, without a stack trace. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { onCleanup } from '../helpers/servers.js';

it('the chat demo on a busy port prints one line and exits 1', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const port = (squatter.address() as { port: number }).port;
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../examples/chat/server.ts')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code).toBe(1);
  expect(output).toBe(`chat demo: port ${port} is already in use (is the chat already running?); choose another: PORT=8081 npm start\n`);
}, 30_000);
