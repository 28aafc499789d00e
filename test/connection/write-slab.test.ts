/**
 * Issue: small frames are written from regions of a shared 64 KiB slab; a region held by a
 * transport that cannot write it keeps the whole slab alive, and nothing counted it. Now, while a
 * transport is backed up, regions are copied out, and a region that got stuck is counted in
 * `bufferedAmount` (and so by backpressure) as the slab it pins.
 */
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Conn } from '../../src/index.js';
import { onCleanup, rawServer } from '../helpers/servers.js';
import { openPeer } from './peer.js';

describe('write slabs held by a stalled transport', () => {
  it('a peer that does not read: queued writes hold their own bytes, not shared slabs, and bufferedAmount counts them', async () => {
    let accepted!: (conn: Conn) => void;
    const connection = new Promise<Conn>((resolve) => (accepted = resolve));
    const server = await rawServer((conn) => {
      accepted(conn);
      return conn.closed.then(() => undefined);
    });
    const peer = await openPeer(server.port);
    onCleanup(() => void peer.destroy());
    peer.pause(); // reads nothing from now on
    const conn = await connection;
    const transport = conn.underlyingSocket as Duplex & { writableBuffer: Array<{ chunk: unknown }> };
    // Small messages, a batch a tick, until the kernel's buffers are full and writes queue up.
    let batches = 0;
    while (transport.writableBuffer.length < 4 && batches++ < 10_000) {
      for (let i = 0; i < 200; i++) void conn.writeMessage(1, `message ${i} of batch ${batches}`).catch(() => {});
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const queued = transport.writableBuffer.map(({ chunk }) => chunk as Buffer);
    expect(queued.length).toBeGreaterThanOrEqual(4);
    for (const chunk of queued) expect(chunk.buffer.byteLength).toBeLessThanOrEqual(2 * chunk.length);
    expect(conn.bufferedAmount).toBeGreaterThanOrEqual(transport.writableLength);
    conn.closeNow();
  }, 30_000);
});
