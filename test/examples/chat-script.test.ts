/**
 * `npm start`: examples/chat/server.ts run as a program, the way a user runs it: PORT and HOST,
 * the printed URL, and a clean shutdown on SIGTERM and SIGINT (1001 to everyone, exit 0).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CloseError, Dialer } from '../../src/index.js';
import { onFreePort } from '../helpers/scripts.js';
import { onCleanup } from '../helpers/servers.js';

async function startChat(port: number): Promise<{ url: string; exit: Promise<number | null>; kill: (signal: NodeJS.Signals) => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/server.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /open (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString())); // "port N is already in use", for onFreePort
    // 'close', not 'exit': by then all it printed has been read.
    child.once('close', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  return { url, exit, kill: (signal) => child.kill(signal) };
}

describe('examples/chat/server.ts as a program (npm start)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints its URL, serves the chat, and on ${signal} closes every connection with 1001 and exits 0`, async () => {
      // PORT named in advance is the point (the URL must show it): started again on another port
      // if a test takes this one before the chat binds it.
      const { port, chat } = await onFreePort(async (port) => ({ port, chat: await startChat(port) }));
      expect(chat.url).toBe(`http://127.0.0.1:${port}/`);
      expect((await fetch(chat.url)).status).toBe(200);
      const { conn } = await new Dialer().dial(`ws://127.0.0.1:${port}/ws`);
      onCleanup(() => conn.closeNow());
      await conn.writeJSON({ type: 'join', name: 'Ada' });
      expect(await conn.readJSON()).toMatchObject({ type: 'welcome', name: 'Ada' });
      chat.kill(signal);
      const err = await conn.readMessage().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CloseError);
      expect(err).toMatchObject({ code: 1001 });
      expect(await chat.exit).toBe(0);
    }, 30_000);
  }
});
