/**
 * undici's WebSocket over HTTP/2 (RFC 8441) against our server: undici 7 opens the WebSocket as an
 * extended CONNECT stream when its dispatcher allows h2 (`new Agent({ allowH2: true })`) and the
 * server's SETTINGS enable it.
 */
import { Agent, WebSocket } from 'undici';
import { describe, expect, it } from 'vitest';
import { type UpgradeRequest, serve } from '../../src/index.js';
import { testCertificate } from '../client/fixtures.js';
import { onCleanup } from '../helpers/servers.js';

describe('undici WebSocket over HTTP/2 ↔ our server', () => {
  it('opens over h2 and echoes text and binary messages, then closes cleanly', async () => {
    const { cert, key } = await testCertificate();
    const transports: string[] = [];
    const requests: UpgradeRequest[] = [];
    const server = await serve({ port: 0, http2: true, tls: { cert, key }, onError: () => {} }, async (conn, request) => {
      transports.push(conn.transport);
      requests.push(request);
      try {
        for await (const m of conn) await conn.writeMessage(m.type, m.data);
      } catch {
        // ended by the test
      }
    });
    const agent = new Agent({ allowH2: true, connect: { ca: cert } });
    onCleanup(async () => {
      for (const c of server.connections) c.closeNow();
      await server.close();
      await agent.close();
    });

    const ws = new WebSocket(`wss://localhost:${server.port}/undici`, { dispatcher: agent });
    ws.binaryType = 'arraybuffer';
    const messages: Array<string | Buffer> = [];
    let wake: (() => void) | null = null;
    ws.addEventListener('message', (ev) => {
      messages.push(typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer));
      wake?.();
    });
    const next = async (): Promise<string | Buffer> => {
      while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift()!;
    };
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('undici could not open the WebSocket')), { once: true });
    });
    expect(transports).toEqual(['h2']);
    expect(requests[0]).toMatchObject({ method: 'CONNECT', url: '/undici', transport: 'h2' });

    ws.send('hello over h2');
    expect(await next()).toBe('hello over h2');
    const bin = Buffer.alloc(300_000, 9);
    ws.send(bin);
    expect(Buffer.compare((await next()) as Buffer, bin)).toBe(0);
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) => ws.addEventListener('close', (ev) => resolve({ code: ev.code, wasClean: ev.wasClean })));
    ws.close(1000, 'done');
    expect(await closed).toEqual({ code: 1000, wasClean: true });
  });
});
