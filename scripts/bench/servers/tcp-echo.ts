/**
 * The physical baseline: a `node:net` echo that sends back every byte it receives, with the
 * stream's own backpressure. No WebSocket server can do less work per byte in Node.
 *
 *   node --import tsx scripts/bench/servers/tcp-echo.ts --port 0 [--host 127.0.0.1]
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9003' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : values.port;
  console.log(`listening on tcp://${values.host}:${port}`);
});
exitOnSignals(async () => {
  server.close();
});
