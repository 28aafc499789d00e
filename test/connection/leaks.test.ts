/**
 * Issue: `ping()` left empty arrays behind for every payload it had used, and a ping given up
 * through its AbortSignal left its listener on the signal.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PingTracker } from '../../src/connection/pings.js';
import type { Conn } from '../../src/index.js';
import { onCleanup, rawServer } from '../helpers/servers.js';
import { openPeer } from './peer.js';

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
    let accepted!: (conn: Conn) => void;
    const connection = new Promise<Conn>((resolve) => (accepted = resolve));
    const server = await rawServer((conn) => {
      accepted(conn);
      return conn.closed.then(() => undefined);
    });
    const peer = await openPeer(server.port);
    onCleanup(() => void peer.destroy());
    const conn = await connection;
    const signal = new AbortController().signal;
    const ping = conn.ping(undefined, { signal });
    conn.closeNow();
    await expect(ping).rejects.toThrow('connection closed locally');
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
