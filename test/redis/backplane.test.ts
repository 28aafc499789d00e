/**
 * The Redis backplane with each real client library (node-redis 5, ioredis 5) and a real
 * redis-server: publishes reach every process's members once, a process listens to a topic only
 * while it has members there, binary data and `except` survive the trip, and sharded pub/sub is used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryMessage, Hub, TextMessage } from '../../src/index.js';
import { redisBackplane } from '../../src/redis/index.js';
import { pairs, readTexts } from '../hub/pairs.js';
import { CLIENT_KINDS, connectClients } from './clients.js';
import { type RedisServer, skipRedisTests, startRedis } from './redis-server.js';

describe.skipIf(skipRedisTests).each(CLIENT_KINDS)('Redis backplane (%s)', (kind) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function process(): Promise<{ hub: Hub; command: (args: string[]) => Promise<unknown> }> {
    const { link, command } = await connectClients(kind, redis.port);
    const hub = new Hub({ backplane: redisBackplane(link, { prefix: `${kind}:` }) });
    return { hub, command };
  }

  it('delivers a publish to the members in every process, once each, in order', async () => {
    const a = await process();
    const b = await process();
    const p = await pairs();
    const onA = await p.connect();
    const onB = [await p.connect(), await p.connect()];
    await a.hub.subscribe(onA.server, 'room');
    for (const x of onB) await b.hub.subscribe(x.server, 'room');
    for (let i = 0; i < 20; i++) await (i % 2 === 0 ? a : b).hub.publish('room', TextMessage, `m${i}`);
    const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
    expect(await readTexts(onA.client, 20)).toEqual(expected);
    for (const x of onB) expect(await readTexts(x.client, 20)).toEqual(expected);
    await a.hub.publish('room', TextMessage, 'end');
    expect(await readTexts(onA.client, 1)).toEqual(['end']); // nothing more came before it
  });

  it('carries binary data and leaves out the `except` connection only where it lives', async () => {
    const a = await process();
    const b = await process();
    const p = await pairs();
    const sender = await p.connect();
    const other = await p.connect();
    await a.hub.subscribe(sender.server, 't');
    await b.hub.subscribe(other.server, 't');
    const bytes = Buffer.from([0, 10, 255, 13, 10, 32, 0]);
    await a.hub.publish('t', BinaryMessage, bytes, { except: sender.server });
    await a.hub.publish('t', TextMessage, 'all');
    expect(await other.client.readMessage()).toMatchObject({ type: BinaryMessage, data: bytes });
    expect(await readTexts(other.client, 1)).toEqual(['all']);
    expect(await readTexts(sender.client, 1)).toEqual(['all']);
  });

  it('listens to a topic on Redis (sharded) only while it has local members', async () => {
    const a = await process();
    const p = await pairs();
    const x = await p.connect();
    const channel = `${kind}:t:{lonely}`;
    const subscribers = async (): Promise<number> => {
      const reply = (await a.command(['PUBSUB', 'SHARDNUMSUB', channel])) as unknown[];
      return Number(reply[1]);
    };
    expect(await subscribers()).toBe(0);
    await a.hub.subscribe(x.server, 'lonely');
    expect(await subscribers()).toBe(1);
    a.hub.unsubscribe(x.server, 'lonely');
    await expect.poll(subscribers).toBe(0);
  });
});
