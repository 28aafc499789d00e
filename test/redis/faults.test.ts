/**
 * Redis going away and coming back: local delivery goes on meanwhile, nothing crashes, the
 * backplane reconnects (the clients' backoff), the gap is reported (an event and a counter) and,
 * for topics on streams, filled: what was published during the outage reaches the other processes.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub, TextMessage } from '../../src/index.js';
import { type BackplaneGap, type RedisBackplane, redisBackplane } from '../../src/redis/index.js';
import { pairs, readTexts } from '../hub/pairs.js';
import { CLIENT_KINDS, connectClients } from './clients.js';
import { type RedisServer, skipRedisTests, startRedis } from './redis-server.js';

describe.skipIf(skipRedisTests).each(CLIENT_KINDS)('Redis backplane faults (%s)', (kind) => {
  let redis: RedisServer | null = null;
  afterEach(async () => {
    await redis?.stop();
    redis = null;
  });

  async function process(server: RedisServer, streams: boolean): Promise<{ hub: Hub; backplane: RedisBackplane }> {
    const { link } = await connectClients(kind, server.port);
    const backplane = redisBackplane(link, { streams });
    return { hub: new Hub({ backplane }), backplane };
  }

  for (const streams of [false, true]) {
    it(`restart with ${streams ? 'streams: the gap is filled' : 'pub/sub only: the gap is reported'}`, async () => {
      const server = await startRedis();
      redis = server;
      const a = await process(server, streams);
      const b = await process(server, streams);
      const p = await pairs();
      const onA = await p.connect();
      const onB = await p.connect();
      await a.hub.subscribe(onA.server, 'room');
      await b.hub.subscribe(onB.server, 'room');
      await a.hub.publish('room', TextMessage, 'before');
      expect(await readTexts(onB.client, 1)).toEqual(['before']);
      expect(await readTexts(onA.client, 1)).toEqual(['before']);

      const down = [once(a.backplane, 'down'), once(b.backplane, 'down')];
      await server.kill();
      await Promise.all(down);
      await a.hub.publish('room', TextMessage, 'during');
      expect(await readTexts(onA.client, 1)).toEqual(['during']); // local delivery goes on
      expect(a.hub.stats.localOnly).toBe(1);

      const gaps = [once(a.backplane, 'gap'), once(b.backplane, 'gap')] as Array<Promise<[BackplaneGap]>>;
      await server.restart();
      const [[gapA], [gapB]] = (await Promise.all(gaps)) as [[BackplaneGap], [BackplaneGap]];
      expect(gapA.topics).toEqual(['room']);
      expect(gapB.durationMs).toBeGreaterThanOrEqual(0);
      expect(a.backplane.stats.gaps).toBe(1);
      expect(b.backplane.stats.gaps).toBe(1);

      await b.hub.publish('room', TextMessage, 'after');
      // With streams, A's message from the outage reaches B, before what came after; A gets it once.
      expect(await readTexts(onB.client, streams ? 2 : 1)).toEqual(streams ? ['during', 'after'] : ['after']);
      expect(await readTexts(onA.client, 1)).toEqual(['after']);
    }, 60_000);
  }

  it('a backplane whose Redis never answers: local delivery only, and no crash', async () => {
    const server = await startRedis();
    const { link } = await connectClients(kind, server.port);
    await server.kill();
    const backplane = redisBackplane(link, { streams: true });
    const failures: unknown[] = [];
    backplane.on('failure', (e) => failures.push(e));
    const hub = new Hub({ backplane });
    const p = await pairs();
    const x = await p.connect();
    await expect.poll(() => backplane.connected).toBe(false);
    await hub.subscribe(x.server, 'solo');
    const y = await p.connect();
    // A resume cannot be served without Redis: it says so at once, and the live flow goes on.
    expect(await hub.subscribe(y.server, 'solo', { since: '1-0' })).toEqual({ replayed: 0, missed: true });
    await hub.publish('solo', TextMessage, 'still here');
    expect(await readTexts(x.client, 1)).toEqual(['still here']);
    expect(await readTexts(y.client, 1)).toEqual(['still here']);
    await backplane.close();
  }, 60_000);
});
