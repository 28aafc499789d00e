/**
 * Broadcast with rfc6455: every message a client sends goes to every connected client. The
 * message is framed once, as a `PreparedMessage`, and the same frame goes to each connection,
 * queued without a promise per delivery (`queuePreparedMessage`); messages are read without one
 * either (`forEachMessage`).
 *
 *   node --import tsx scripts/bench/servers/broadcast-ours.ts --port 0 [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { type Conn, PreparedMessage, serve } from '../../../src/index.js';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9004' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const clients = new Set<Conn>();
const ignore = (): void => {};

const server = await serve(
  { port: Number(values.port), host: values.host, upgrader: { checkOrigin: () => true }, onError: ignore },
  async (conn) => {
    clients.add(conn);
    void conn.closed.then(() => clients.delete(conn));
    try {
      await conn.forEachMessage(({ type, data }) => {
        const message = new PreparedMessage(type, data);
        for (const client of clients) {
          // Queued at once when it can be (no promise per delivery); otherwise the ordinary write.
          if (!client.queuePreparedMessage(message)) client.writePreparedMessage(message).catch(ignore);
        }
      });
    } catch {
      // A client that vanished; its connection has already been cleaned up.
    }
  },
);
console.log(`listening on ${server.url}`);
exitOnSignals(() => server.close());
