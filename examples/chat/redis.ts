/**
 * The chat's Redis backplane: two node-redis connections (commands, subscriptions), the room on a
 * stream so that pages resume after reconnecting. Redis being away at start or later is not
 * fatal: the clients reconnect with backoff, the room stays local meanwhile.
 */
import { createClient } from 'redis';
import { type RedisBackplane, fromNodeRedis, redisBackplane } from '../../src/redis/index.js';

export interface ChatRedis {
  readonly backplane: RedisBackplane;
  close(): Promise<void>;
}

export async function redisBackplaneFor(url: string): Promise<ChatRedis> {
  const reconnectStrategy = (attempt: number): number => Math.min(100 * 2 ** attempt, 5000);
  const client = createClient({ url, socket: { reconnectStrategy } });
  const subscriber = client.duplicate();
  const backplane = redisBackplane(fromNodeRedis(client, subscriber), { streams: true, maxLength: 1000 });
  backplane.on('up', () => console.log('chat: Redis connected'));
  backplane.on('down', () => console.warn('chat: Redis unreachable; the room is local until it is back'));
  backplane.on('gap', (gap: { durationMs: number; recovered: number }) =>
    console.warn(`chat: Redis back after ${gap.durationMs} ms; ${gap.recovered} messages recovered`),
  );
  // Connecting does not hold the start: until Redis answers, the room is local.
  for (const c of [client, subscriber]) void c.connect().catch(() => {});
  return {
    backplane,
    async close() {
      await backplane.close();
      client.destroy();
      subscriber.destroy();
    },
  };
}
