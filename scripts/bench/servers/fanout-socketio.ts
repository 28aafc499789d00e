/**
 * Fan-out with socket.io 4 and @socket.io/redis-adapter (ioredis), the comparison for the Hub:
 * every socket joins one room, every 'm' event a client emits goes to the room. WebSocket
 * transport only, as the load generator connects.
 *
 *   node scripts/bench/servers/fanout-socketio.js --port 0 --redis redis://127.0.0.1:6379
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9007' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
  },
});

const ROOM = 'bench';
const http = createServer();
// Pings every 60 s: none during a measurement, so the load generator's frame counts are deliveries.
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, pingInterval: 60_000 });
let clients: Redis[] = [];
if (values.redis !== undefined) {
  const pub = new Redis(values.redis);
  const sub = pub.duplicate();
  clients = [pub, sub];
  io.adapter(createAdapter(pub, sub));
}
io.on('connection', (socket) => {
  void socket.join(ROOM);
  socket.on('m', (data: unknown) => {
    io.to(ROOM).emit('m', data);
  });
});
await new Promise<void>((resolve) => http.listen(Number(values.port), values.host, resolve));
const { port } = http.address() as AddressInfo;
console.log(`listening on ws://${values.host}:${port}`);
exitOnSignals(async () => {
  await io.close();
  for (const c of clients) c.disconnect();
});
