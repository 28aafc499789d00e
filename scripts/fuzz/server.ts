/**
 * The fuzz target: a `serve()` echo server with the fuzzing limits. `npm run fuzz` runs it in a
 * child process (so a crash is seen as one); the short fuzz in `npm test` runs it in-process.
 *
 *   npx tsx scripts/fuzz/server.ts [--port 0]   → prints `listening on ws://127.0.0.1:PORT`
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type UpgraderOptions, type WebSocketServer, serve } from '../../src/index.js';
import { FUZZ_LIMITS } from './cases.js';

export const FUZZ_SERVER_OPTIONS: UpgraderOptions = {
  checkOrigin: () => true,
  readLimit: FUZZ_LIMITS.readLimit,
  maxFragments: FUZZ_LIMITS.maxFragments,
  enableCompression: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
};

/** Starts the echo server the fuzzer attacks. */
export function startFuzzServer(port = 0): Promise<WebSocketServer> {
  return serve({ port, upgrader: FUZZ_SERVER_OPTIONS, onError: () => {} }, async (conn) => {
    try {
      for (;;) {
        const { type, data } = await conn.readMessage();
        await conn.writeMessage(type, data);
      }
    } catch {
      // The connection ended; the close frame already said why.
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const server = await startFuzzServer(Number(values.port));
  console.log(`listening on ${server.url}`);
}
