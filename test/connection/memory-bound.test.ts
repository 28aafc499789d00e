/**
 * Issue: 2,000,000 empty messages to a handler that does not read grew the heap by 267 MiB; a
 * million 1-byte messages held about 160 bytes each. Flow control now counts each queued message's
 * memory, not only its payload: with the defaults, a connection holds about `readBufferSize`,
 * whatever the sizes of the messages. Measured in bytes after a forced GC, never in time.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CONN_DEFAULTS, type Conn } from '../../src/index.js';
import { onCleanup, rawServer } from '../helpers/servers.js';
import { MiB, liveBytes } from '../security/support/memory.js';
import { openPeer, pump, smallMaskedFrame } from './peer.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves when the server stops reading the connection's transport (its own backpressure). */
function paused(conn: Conn): Promise<void> {
  const socket = conn.underlyingSocket;
  return socket.isPaused() ? Promise.resolve() : once(socket, 'pause').then(() => undefined);
}

async function floodNonReader(payload: Buffer, count: number): Promise<{ held: number; read: number }> {
  const connReady = deferred<Conn>();
  const startReading = deferred<void>();
  const allRead = deferred<number>();
  const server = await rawServer(async (conn) => {
    connReady.resolve(conn);
    await startReading.promise;
    let n = 0;
    for await (const m of conn) {
      if (m.data.length !== payload.length) throw new Error('a message changed size');
      if (++n === count) break;
    }
    allRead.resolve(n);
  });
  const peer = await openPeer(server.port);
  onCleanup(() => void peer.destroy());
  const conn = await connReady.promise;
  const baseline = liveBytes();
  const stop = paused(conn);
  const sending = pump(peer, smallMaskedFrame(payload.length === 0 ? 1 : 2, payload), count, stop);
  await stop;
  const held = liveBytes() - baseline;
  startReading.resolve();
  // Reading resumes the transport: the rest is sent and every message arrives.
  await pump(peer, smallMaskedFrame(payload.length === 0 ? 1 : 2, payload), count - (await sending), new Promise(() => {}));
  return { held, read: await allRead.promise };
}

describe('flow control counts memory, not only payload', () => {
  const bound = 2 * CONN_DEFAULTS.readBufferSize + 1 * MiB;

  it('2,000,000 empty messages to a handler that does not read: the heap stays under 2 × readBufferSize', async () => {
    const { held, read } = await floodNonReader(Buffer.alloc(0), 2_000_000);
    expect(held).toBeLessThan(bound);
    expect(read).toBe(2_000_000);
  }, 120_000);

  it('1,000,000 one-byte messages: the same bound', async () => {
    const { held, read } = await floodNonReader(Buffer.from([7]), 1_000_000);
    expect(held).toBeLessThan(bound);
    expect(read).toBe(1_000_000);
  }, 120_000);
});
