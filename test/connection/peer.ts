/**
 * A bare WebSocket peer for the connection tests: a TCP socket, an upgrade request written by hand,
 * and frames built here from RFC 6455 §5.2, sharing no code with `src/`. It writes with TCP
 * backpressure (a batch, then 'drain'), so the peer's own memory stays small.
 */
import { once } from 'node:events';
import { type Socket, connect } from 'node:net';

/** A masked client frame with a 7-bit length (payloads up to 125 bytes), mask key 0x01020304. */
export function smallMaskedFrame(opcode: number, payload: Buffer): Buffer {
  const key = [1, 2, 3, 4];
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  frame.set(key, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ key[i % 4]!;
  return frame;
}

/** Opens TCP to `port` and upgrades; resolves once the 101 head has been read. */
export async function openPeer(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let head = '';
  while (!head.includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    head += chunk.toString('latin1');
  }
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head}`);
  socket.on('data', () => {}); // read and drop what the server sends
  return socket;
}

/**
 * Writes `count` copies of `frame`, a batch at a time, waiting for 'drain' between batches.
 * Resolves when all are written, or when `stop` resolves (the server stopped reading).
 */
export async function pump(socket: Socket, frame: Buffer, count: number, stop: Promise<unknown>): Promise<number> {
  const perBatch = Math.max(1, Math.floor(65536 / frame.length));
  const batch = Buffer.concat(Array.from({ length: perBatch }, () => frame));
  let stopped = false;
  void stop.then(() => (stopped = true));
  let sent = 0;
  while (sent < count && !stopped) {
    const n = Math.min(perBatch, count - sent);
    const ok = socket.write(n === perBatch ? batch : batch.subarray(0, n * frame.length));
    sent += n;
    if (!ok) await Promise.race([once(socket, 'drain'), stop]);
  }
  return sent;
}
