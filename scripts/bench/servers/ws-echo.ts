/**
 * The `ws` counterpart of `scripts/echo-server.ts`: every message comes back with its type.
 * No native add-ons (the orchestrator sets WS_NO_BUFFER_UTIL and WS_NO_UTF_8_VALIDATE), no
 * compression unless `--compression`, and a 64 MiB message limit like ours.
 *
 *   node --import tsx scripts/bench/servers/ws-echo.ts --port 0 [--host 127.0.0.1] [--compression]
 */
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9002' },
    host: { type: 'string', default: '127.0.0.1' },
    compression: { type: 'boolean', default: false },
  },
});

const wss = new WebSocketServer({
  port: Number(values.port),
  host: values.host,
  perMessageDeflate: values.compression,
  maxPayload: 64 * 1024 * 1024,
});
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : values.port;
  console.log(`listening on ws://${values.host}:${port}`);
});
exitOnSignals(() => new Promise((resolve) => wss.close(() => resolve())));
