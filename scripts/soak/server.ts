/**
 * The soak's server process: `serve()` echoing every message, answering the orchestrator's
 * requests for its memory (after a forced collection when asked; run with --expose-gc).
 */
import { serve } from '../../src/index.js';
import type { ServerMessage, ServerRequest } from './protocol.js';

const gc = (globalThis as { gc?: () => void }).gc;
const send = (message: ServerMessage): void => void process.send?.(message);

const server = await serve({ port: 0, host: '127.0.0.1', upgrader: { checkOrigin: () => true }, onError: () => {} }, async (conn) => {
  try {
    for await (const { type, data } of conn) await conn.writeMessage(type, data);
  } catch {
    // Killed abruptly by the load: that is part of the test.
  }
});

process.on('message', (request: ServerRequest) => {
  if (request.type !== 'memory') return;
  if (request.gc && gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connections: server.connections.size });
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
send({ type: 'listening', port: server.port });
