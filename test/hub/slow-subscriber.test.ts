/**
 * A subscriber that stops reading: the others get every message at their own pace (the publisher
 * waits only for them), and the slow one is closed with 1008 or skipped, as the policy says;
 * what the hub holds for it stays bounded by bytes.
 */
import { describe, expect, it } from 'vitest';
import { CloseError, type Conn, Hub, TextMessage } from '../../src/index.js';
import { deferred } from '../helpers/servers.js';
import { pairs, readTexts } from './pairs.js';

const MESSAGE = 'x'.repeat(32 * 1024);
const LIMIT = 256 * 1024;

async function closeCode(conn: Conn): Promise<number> {
  try {
    for (;;) await conn.readMessage();
  } catch (err) {
    if (err instanceof CloseError) return err.code;
    throw err;
  }
}

/** Publishes in lockstep with the fast readers until `done()` says so (or `max` messages). */
async function publishUntil(hub: Hub, fast: Conn[], done: () => boolean, max: number): Promise<number> {
  let n = 0;
  while (!done() && n < max) {
    await hub.publish('t', TextMessage, MESSAGE);
    n++;
    for (const conn of fast) expect((await conn.readMessage()).data.length).toBe(MESSAGE.length);
  }
  return n;
}

describe('Hub: a slow subscriber', () => {
  it("policy 'close': closed with 1008, the others miss nothing", async () => {
    const slowSeen = deferred<Conn>();
    const hub = new Hub({ maxPendingBytes: LIMIT, onSlowSubscriber: (conn) => slowSeen.resolve(conn) });
    const p = await pairs();
    const slow = await p.connect();
    const fast = [await p.connect(), await p.connect()];
    for (const pair of [slow, ...fast]) await hub.subscribe(pair.server, 't');
    slow.client.underlyingSocket.pause(); // stops reading: the kernel buffers fill, then the server's
    let closed = false;
    void slowSeen.promise.then(() => (closed = true));
    const sent = await publishUntil(hub, fast.map((f) => f.client), () => closed, 2000);
    expect(await slowSeen.promise).toBe(slow.server);
    expect(hub.stats.closedSlow).toBe(1);
    expect(hub.subscribers('t')).toEqual(fast.map((f) => f.server));
    // Everything held for it was bounded by the byte limit (plus one message), not by the count sent.
    expect(slow.server.bufferedAmount).toBeLessThanOrEqual(LIMIT + MESSAGE.length * 2);
    await publishUntil(hub, fast.map((f) => f.client), () => false, 5);
    slow.client.underlyingSocket.resume();
    expect(await closeCode(slow.client)).toBe(1008);
    expect(sent).toBeGreaterThan(1);
  }, 60_000);

  it("policy 'skip': messages are skipped while it is behind, and it stays subscribed", async () => {
    const hub = new Hub({ maxPendingBytes: LIMIT, slowSubscriber: 'skip' });
    const p = await pairs();
    const slow = await p.connect();
    const fast = await p.connect();
    await hub.subscribe(slow.server, 't');
    await hub.subscribe(fast.server, 't');
    slow.client.underlyingSocket.pause();
    const sent = await publishUntil(hub, [fast.client], () => hub.stats.skipped >= 3, 2000);
    expect(hub.stats.closedSlow).toBe(0);
    expect(hub.subscriberCount('t')).toBe(2);
    slow.client.underlyingSocket.resume();
    // It reads what it was sent: every message but the skipped ones.
    const got = await readTexts(slow.client, sent - hub.stats.skipped);
    expect(got.every((m) => m === MESSAGE)).toBe(true);
    await hub.publish('t', TextMessage, 'after');
    expect(await readTexts(slow.client, 1)).toEqual(['after']);
  }, 60_000);

  it('counts messages in flight too (maxPendingMessages)', async () => {
    const hub = new Hub({ maxPendingMessages: 4, slowSubscriber: 'skip' });
    const p = await pairs();
    const a = await p.connect();
    await hub.subscribe(a.server, 't');
    a.client.underlyingSocket.pause();
    // A message being written in pieces holds the connection's turn, so nothing the hub writes is
    // accepted yet: of ten publishes in one go, the fifth is over the limit.
    const writer = await a.server.nextWriter(TextMessage);
    await Promise.all(Array.from({ length: 10 }, (_, i) => hub.publish('t', TextMessage, MESSAGE + i)));
    expect(hub.stats.skipped).toBe(6);
    await writer.write('first');
    await writer.close();
    a.client.underlyingSocket.resume();
    expect(await readTexts(a.client, 1)).toEqual(['first']);
    expect((await readTexts(a.client, 4)).map((m) => m.slice(MESSAGE.length))).toEqual(['0', '1', '2', '3']);
  });
});
