/**
 * Issue: `WebSocketServer.close()` ignored sockets still in their opening handshake, so shutdown
 * waited up to `handshakeTimeout` + 1 s; and `serve()`'s listener on its AbortSignal was never removed.
 */
import { getEventListeners, once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serve } from '../../src/index.js';

describe('server shutdown', () => {
  it('close() drops sockets still sending their request head, without waiting for the handshake timeout', async () => {
    const errors: unknown[] = [];
    // A handshake timeout far longer than any test: close() must not wait for it.
    const server = await serve({ port: 0, upgrader: { handshakeTimeout: 600_000 }, onError: (e) => errors.push(e) }, () => {});
    const received = once(server.netServer, 'connection');
    const slow = connect(server.port, '127.0.0.1');
    slow.on('error', () => {});
    await once(slow, 'connect');
    slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and never the rest
    await received;
    const closedSocket = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    await server.close();
    await closedSocket;
    expect(errors).toEqual([]);
  });

  it('the AbortSignal listener is removed once the server has closed', async () => {
    const controller = new AbortController();
    const server = await serve({ port: 0, signal: controller.signal }, () => {});
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await server.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
