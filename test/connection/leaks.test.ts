/**
 * Issue: `ping()` left empty arrays behind for every payload it had used, and a ping given up
 * through its AbortSignal left its listener on the signal.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PingTracker } from '../../src/connection/pings.js';
import type { Conn } from '../../src/index.js';
import { deferred, onCleanup, rawServer } from '../helpers/servers.js';
import { connectedPair, openPeer, smallMaskedFrame } from './peer.js';

function pendingKeys(tracker: PingTracker): number {
  return (tracker as unknown as { pending: Map<string, unknown> | null }).pending?.size ?? 0;
}

describe('pings leave nothing behind', () => {
  it('answered, aborted and failed pings: no entry and no abort listener remains', async () => {
    const tracker = new PingTracker();
    const signal = new AbortController().signal;
    for (let i = 0; i < 100; i++) {
      const payload = tracker.nextPayload();
      const waiter = tracker.expect(payload, signal);
      tracker.pong(payload);
      expect(await waiter.promise).toBeGreaterThanOrEqual(0);
    }
    const aborts = new AbortController();
    const given = tracker.expect(tracker.nextPayload(), aborts.signal);
    aborts.abort(new Error('gave up'));
    await expect(given.promise).rejects.toThrow('gave up');
    const failedPayload = tracker.nextPayload();
    const failed = tracker.expect(failedPayload, signal);
    tracker.failed(failedPayload, failed, new Error('could not send'));
    await expect(failed.promise).rejects.toThrow('could not send');
    expect(pendingKeys(tracker)).toBe(0);
    expect(tracker.waiting).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(aborts.signal, 'abort')).toHaveLength(0);
  });

  it('a ping rejected because the connection closed detaches from its signal', async () => {
    const { conn } = await connectedPair();
    const signal = new AbortController().signal;
    const ping = conn.ping(undefined, { signal });
    conn.closeNow();
    await expect(ping).rejects.toThrow('connection closed locally');
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('a connection that goes quiet keeps nothing of its busy time', () => {
  it('the inbox lets go of its queue once every message has been read', async () => {
    const { conn, peer } = await connectedPair();
    const inbox = (conn as unknown as { driver: { inbox: { queue: unknown[]; front: unknown } } }).driver.inbox;
    const frames = Array.from({ length: 40 }, (_, i) => smallMaskedFrame(2, Buffer.from([i])));
    peer.write(Buffer.concat(frames));
    for (let i = 0; i < 40; i++) expect([...(await conn.readMessage()).data]).toEqual([i]);
    // Length 0 is what makes V8 drop the array's backing store; holes would keep it.
    expect(inbox.queue.length).toBe(0);
    expect(inbox.front).toBeNull();
  });

  it('the inbox lets go of the read chunk a burst of small messages pinned, once they are read', async () => {
    const { conn, peer } = await connectedPair();
    const inbox = (conn as unknown as { driver: { inbox: { lastChunk: unknown; heldBytes: number } } }).driver.inbox;
    const frames = Array.from({ length: 40 }, (_, i) => smallMaskedFrame(2, Buffer.from([i])));
    peer.write(Buffer.concat(frames));
    expect([...(await conn.readMessage()).data]).toEqual([0]);
    expect(inbox.lastChunk).toBeInstanceOf(ArrayBuffer); // charged to a message, still held
    for (let i = 1; i < 40; i++) expect([...(await conn.readMessage()).data]).toEqual([i]);
    expect(inbox.heldBytes).toBe(0);
    expect(inbox.lastChunk).toBeNull();
  });

  it('a frame header split across reads is held in 14 bytes of its own, and only until it is whole', async () => {
    const { conn } = await connectedPair();
    type Parser = { partialHeader: Buffer | null };
    const driver = (conn as unknown as { driver: { transportData(chunk: Buffer): void; core: { parser: Parser | null } } }).driver;
    const frame = smallMaskedFrame(2, Buffer.from([5]));
    driver.transportData(frame.subarray(0, 3)); // two header bytes and one of the mask key
    const held = driver.core.parser!.partialHeader!;
    expect(held.buffer.byteLength).toBe(14); // not a slice pinning Node's 8 KiB pool
    driver.transportData(frame.subarray(3));
    expect(driver.core.parser!.partialHeader).toBeNull();
    expect([...(await conn.readMessage()).data]).toEqual([5]);
  });

  it('an idle connection has no frame parser and no outbox until it reads or writes', async () => {
    const { conn, peer } = await connectedPair();
    const driver = (conn as unknown as { driver: { core: { parser: unknown }; sender: { queue: unknown } } }).driver;
    expect(driver.core.parser).toBeNull();
    expect(driver.sender.queue).toBeNull();
    peer.write(smallMaskedFrame(2, Buffer.from([7])));
    expect([...(await conn.readMessage()).data]).toEqual([7]);
    expect(driver.core.parser).not.toBeNull();
    await conn.writeMessage(2, Buffer.from([8]));
    expect(driver.sender.queue).not.toBeNull();
  });

  it('one waiting read, the usual case, is kept without an array', async () => {
    const { conn, peer } = await connectedPair();
    const inbox = (conn as unknown as { driver: { inbox: { firstWaiter: unknown; moreWaiters: unknown } } }).driver.inbox;
    const read = conn.readMessage();
    expect(inbox.firstWaiter).not.toBeNull();
    expect(inbox.moreWaiters).toBeNull();
    peer.write(smallMaskedFrame(2, Buffer.from([1])));
    expect([...(await read).data]).toEqual([1]);
    expect(inbox.firstWaiter).toBeNull();
  });

  it('the server does not read the peer address nobody asked for', async () => {
    const { conn } = await connectedPair();
    // Reading `remoteAddress` makes Node keep `_peername` (an object and a string) on the socket.
    expect((conn.underlyingSocket as unknown as { _peername?: unknown })._peername).toBeUndefined();
    expect(conn.remoteAddress?.address).toBe('127.0.0.1');
  });
});

describe('a server forgets what has closed', () => {
  it('a closed connection leaves server.connections, whoever closed it', async () => {
    const accepted: Conn[] = [];
    const three = deferred();
    const server = await rawServer((conn) => {
      accepted.push(conn);
      if (accepted.length === 3) three.resolve();
    });
    const peers = [await openPeer(server.port), await openPeer(server.port), await openPeer(server.port)];
    onCleanup(() => peers.forEach((p) => p.destroy()));
    await three.promise;
    expect(server.connections.size).toBe(3);
    peers[0]!.destroy(); // the peer drops TCP
    accepted[1]!.closeNow(); // the server drops it
    await Promise.all([accepted[0]!.closed, accepted[1]!.closed]);
    expect([...server.connections]).toEqual([accepted[2]]);
  });
});
