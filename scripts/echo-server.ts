/**
 * The echo server: the Autobahn testee and the benchmark server. Every message comes back with
 * its type. A raw node:net server; the handshake is parsed by rfc6455 itself.
 *
 *   npx tsx scripts/echo-server.ts --port 9001 [--host 127.0.0.1] [--compression]
 *
 * --compression accepts permessage-deflate offers (RFC 7692), context takeover included, and
 * compresses every echoed message (threshold 0), as the Autobahn 12.x/13.x cases expect.
 */
import { parseArgs } from 'node:util';
import { serve } from '../src/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9001' },
    host: { type: 'string', default: '127.0.0.1' },
    compression: { type: 'boolean', default: false },
  },
});

const server = await serve(
  {
    port: Number(values.port),
    host: values.host,
    upgrader: {
      checkOrigin: () => true, // a testee talks to any origin
      readLimit: 64 * 1024 * 1024,
      enableCompression: values.compression ? { threshold: 0 } : false,
    },
    onError: () => {}, // peers that break the protocol are the point of a conformance run
  },
  async (conn) => {
    try {
      for await (const { type, data } of conn) await conn.writeMessage(type, data);
    } catch {
      // The connection has already answered with the right close code.
    }
  },
);
console.log(`listening on ${server.url}`);

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  void server.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
