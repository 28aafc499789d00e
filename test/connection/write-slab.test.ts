/**
 * Issue: small frames are written from regions of a shared 64 KiB slab; a region held by a
 * transport that cannot write it keeps the whole slab alive, and nothing counted it. Now, while a
 * transport is backed up, regions are copied out, and a region that got stuck is counted in
 * `bufferedAmount` (and so by backpressure) as the slab it pins.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Conn } from '../../src/connection/conn.js';
import { connectedPair } from './peer.js';

describe('write slabs held by a stalled transport', () => {
  it('a peer that does not read: queued writes hold their own bytes, not shared slabs, and bufferedAmount counts them', async () => {
    const { conn, peer } = await connectedPair();
    peer.pause(); // reads nothing from now on
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

  it('a region that the transport did not take at once is counted as the slab it pins', async () => {
    // A transport that holds its first write for good: the region stays referenced by it.
    const transport = new Duplex({ read() {}, write(_chunk, _encoding, _callback) {} });
    const conn = new Conn({ role: 'server', socket: transport });
    await conn.writeMessage(1, 'hello');
    await new Promise<void>((resolve) => setImmediate(resolve)); // the tick's flush
    expect(transport.writableLength).toBe(7); // the frame: 2 header bytes and 5 of payload
    // The region is 7 bytes of a 64 KiB slab, all of which it keeps alive.
    expect(conn.bufferedAmount).toBeGreaterThanOrEqual(64 * 1024);
    conn.closeNow();
  });
});
