/**
 * Resumable delivery on Redis Streams: a client that comes back (to any process) with the last id
 * it saw gets what it missed, in order, then the live flow, no gap and no duplicate; past the
 * retention it is told that it missed some.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub, TextMessage, type TopicMessage } from '../../src/index.js';
import { type RedisBackplaneOptions, redisBackplane } from '../../src/redis/index.js';
import { pairs, readTexts } from '../hub/pairs.js';
import { CLIENT_KINDS, connectClients } from './clients.js';
import { type RedisServer, skipRedisTests, startRedis } from './redis-server.js';

/** What subscribers receive: `<id> <text>`, so they know where to resume from. */
const withId = (m: TopicMessage): string => `${m.id ?? '-'} ${m.data.toString()}`;
const texts = (lines: string[]): string[] => lines.map((l) => l.slice(l.indexOf(' ') + 1));

describe.skipIf(skipRedisTests).each(CLIENT_KINDS)('Redis backplane with streams (%s)', (kind) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function process(options: RedisBackplaneOptions = {}): Promise<Hub> {
    const { link } = await connectClients(kind, redis.port);
    return new Hub({ backplane: redisBackplane(link, { prefix: `${kind}:`, streams: true, ...options }), encode: withId });
  }

  it('replays what a client missed on another process, then the live flow, exactly once', async () => {
    const a = await process();
    const b = await process();
    const p = await pairs();
    const first = await p.connect();
    await a.subscribe(first.server, 'r1');
    for (let i = 0; i < 5; i++) await a.publish('r1', TextMessage, `m${i}`);
    const seen = await readTexts(first.client, 5);
    expect(texts(seen)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const lastSeen = seen[2]!.split(' ')[0]!; // it saw up to m2, then lost its connection
    first.client.closeNow();
    // Publishes keep coming while it reconnects, to the other process.
    const publishing = (async () => {
      for (let i = 5; i < 40; i++) await a.publish('r1', TextMessage, `m${i}`);
    })();
    const again = await p.connect();
    const result = await b.subscribe(again.server, 'r1', { since: lastSeen });
    await publishing;
    expect(result.missed).toBe(false);
    expect(result.replayed).toBeGreaterThanOrEqual(2);
    const got = await readTexts(again.client, 37);
    expect(texts(got)).toEqual(Array.from({ length: 37 }, (_, i) => `m${i + 3}`));
    const ids = got.map((l) => l.split(' ')[0]!);
    expect(new Set(ids).size).toBe(37);
    await a.publish('r1', TextMessage, 'last');
    expect(texts(await readTexts(again.client, 1))).toEqual(['last']);
  });

  it('past the retention, says that the client missed some and replays what is left', async () => {
    const a = await process({ maxLength: 10 });
    const p = await pairs();
    const x = await p.connect();
    await a.subscribe(x.server, 'r2');
    await a.publish('r2', TextMessage, 'first');
    const [firstLine] = await readTexts(x.client, 1);
    // MAXLEN ~ trims whole nodes of 100 entries: publish enough for the first node to go.
    await Promise.all(Array.from({ length: 400 }, (_, i) => a.publish('r2', TextMessage, `n${i}`)));
    await readTexts(x.client, 400);
    const y = await p.connect();
    const result = await a.subscribe(y.server, 'r2', { since: firstLine!.split(' ')[0]! });
    expect(result.missed).toBe(true);
    expect(result.replayed).toBeGreaterThan(0);
    const replay = texts(await readTexts(y.client, result.replayed));
    expect(replay.at(-1)).toBe('n399');
  });

  it('a resume id from nowhere (or malformed) gets the live flow and `missed`', async () => {
    const a = await process();
    const p = await pairs();
    const x = await p.connect();
    expect(await a.subscribe(x.server, 'r3', { since: '5-0' })).toEqual({ replayed: 0, missed: true });
    const y = await p.connect();
    expect(await a.subscribe(y.server, 'r3', { since: 'not an id' })).toEqual({ replayed: 0, missed: true });
    await a.publish('r3', TextMessage, 'live');
    expect(texts(await readTexts(x.client, 1))).toEqual(['live']);
    expect(texts(await readTexts(y.client, 1))).toEqual(['live']);
  });
});
