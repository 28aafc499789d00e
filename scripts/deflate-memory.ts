/**
 * Measures what permessage-deflate costs per connection on the server: RSS and heap with N
 * connections that negotiated it but sent nothing (zlib streams are created lazily), then after
 * each exchanged one compressed message both ways (both streams live, with context takeover).
 * Clients are raw sockets that send pre-compressed frames and never inflate, so every zlib stream
 * in the process is the server's.
 *
 *   node --expose-gc --import tsx scripts/deflate-memory.ts [--connections 500]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { constants, deflateRawSync } from 'node:zlib';
import { type PerMessageDeflateOptions, serve } from '../src/index.js';
import { encodeFrame } from '../src/protocol/frame.js';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '500' } } });
const count = Number(values.connections);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const payload = deflateRawSync(Buffer.from('hello compressed world '.repeat(100)), { finishFlush: constants.Z_SYNC_FLUSH });
const frame = encodeFrame({ opcode: 1, rsv1: true, payload: payload.subarray(0, payload.length - 4), maskKey: 0x01020304 });

function snapshot(): { rss: number; heap: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

async function measure(name: string, options: PerMessageDeflateOptions | false): Promise<string> {
  const server = await serve({ port: 0, upgrader: { enableCompression: options === false ? false : { threshold: 0, ...options } } }, async (conn) => {
    try {
      for await (const m of conn) await conn.writeMessage(m.type, m.data);
    } catch {
      // closed
    }
  });
  const before = snapshot();
  const sockets = await Promise.all(
    Array.from({ length: count }, () => {
      const s = connect(server.port, '127.0.0.1');
      s.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
      );
      return new Promise<typeof s>((resolve) => s.once('data', () => resolve(s)));
    }),
  );
  const idle = snapshot();
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.write(frame);
        }),
    ),
  );
  const active = snapshot();
  for (const s of sockets) s.destroy();
  await server.close();
  const kb = (n: number): string => (n / count / 1024).toFixed(1);
  return `| ${name} | ${kb(idle.rss - before.rss)} | ${kb(active.rss - idle.rss)} | ${kb(active.heap - idle.heap)} |`;
}

console.log(`${count} connections; KiB per connection (server and raw clients in one process)\n`);
console.log('| configuration | RSS, connected, idle | RSS added by one message each way | heap+external added |');
console.log('| --- | --- | --- | --- |');
console.log(await measure('compression off', false));
console.log(await measure('defaults (context takeover, window 15, memLevel 8)', {}));
console.log(await measure('no context takeover both ways', { serverNoContextTakeover: true, clientNoContextTakeover: true }));
console.log(await measure('window 10, memLevel 4', { serverMaxWindowBits: 10, clientMaxWindowBits: 10, memLevel: 4 }));
