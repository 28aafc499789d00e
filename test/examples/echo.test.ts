import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEchoServer } from '../../examples/echo/server.js';
import { onCleanup } from '../helpers/servers.js';

describe('examples/echo', () => {
  it('serves the page at / and greets then echoes at /ws', async () => {
    const { server, url } = await startEchoServer(0);
    onCleanup(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("new WebSocket(");
    const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
    onCleanup(() => ws.terminate());
    const messages: string[] = [];
    const two = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        messages.push(d.toString());
        if (messages.length === 2) resolve();
      }),
    );
    await new Promise((r) => ws.once('open', r));
    ws.send('hello there');
    await two;
    expect(messages[0]).toMatch(/^Welcome/);
    expect(messages[1]).toBe('hello there');
  });
});
