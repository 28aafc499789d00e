/**
 * Broadcast with `ws`: every message a client sends goes to every connected client, the same
 * buffer passed to each `send` (the usual `ws` broadcast loop).
 *
 *   node --import tsx scripts/bench/servers/broadcast-ws.ts --port 0 [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9005' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const wss = new WebSocketServer({ port: Number(values.port), host: values.host, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) client.send(data, { binary: isBinary });
  });
});
wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : values.port;
  console.log(`listening on ws://${values.host}:${port}`);
});
exitOnSignals(() => new Promise((resolve) => wss.close(() => resolve())));
