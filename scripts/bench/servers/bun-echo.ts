/**
 * The Bun anchor of the echo scenarios: Bun's built-in WebSocket server (uWebSockets inside),
 * every message sent back with its type. With `--compression`, permessage-deflate is accepted
 * and every reply of 1 KiB or more is compressed (Bun compresses only when `send` is asked to,
 * and keeps no context between messages). `GET /bench/memory` answers the idle scenarios.
 *
 *   node_modules/.bin/bun scripts/bench/servers/bun-echo.js --port 0 [--host 127.0.0.1] [--compression]
 */
import { parseArgs } from 'node:util';
import { ANCHOR_LIMITS, MEMORY_PATH, bunApi, listeningLine, memoryResponse } from './bun-api.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9008' },
    host: { type: 'string', default: '127.0.0.1' },
    compression: { type: 'boolean', default: false },
  },
});

/** ws's default threshold: smaller replies are not worth compressing. */
const COMPRESS_FROM = 1024;
const compression = values.compression;
const bun = bunApi();

const server = bun.serve({
  port: Number(values.port),
  hostname: values.host,
  fetch(request, srv) {
    if (new URL(request.url).pathname === MEMORY_PATH) return memoryResponse(bun);
    return srv.upgrade(request) ? undefined : new Response('WebSocket only', { status: 400 });
  },
  websocket: {
    ...ANCHOR_LIMITS,
    perMessageDeflate: compression,
    message(ws, message) {
      const bytes = typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
      ws.send(message, compression && bytes >= COMPRESS_FROM);
    },
  },
});
console.log(listeningLine(values.host, server));
