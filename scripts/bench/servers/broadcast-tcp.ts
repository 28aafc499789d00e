/**
 * The physical baseline for broadcast: a `node:net` server that writes every chunk any client
 * sends to every connected client, unchanged. No framing, no parsing: the cost of the writes.
 * Its only "handshake": the first byte a client sends is echoed to that client alone, which is
 * how the load generator knows a raw TCP connection has been accepted.
 *
 *   node --import tsx scripts/bench/servers/broadcast-tcp.ts --port 0 [--host 127.0.0.1]
 */
import { type Socket, createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9006' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const clients = new Set<Socket>();
const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  socket.on('close', () => clients.delete(socket));
  socket.on('data', (chunk: Buffer) => {
    if (!clients.has(socket)) {
      clients.add(socket);
      socket.write(chunk.subarray(0, 1));
      chunk = chunk.subarray(1);
      if (chunk.length === 0) return;
    }
    for (const client of clients) client.write(chunk);
  });
});
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : values.port;
  console.log(`listening on tcp://${values.host}:${port}`);
});
exitOnSignals(async () => {
  for (const client of clients) client.destroy();
  server.close();
});
