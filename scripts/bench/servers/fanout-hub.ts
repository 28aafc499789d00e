/**
 * Fan-out with the library's Hub: every connection subscribes to one topic, and every message a
 * client sends is published to it. With `--redis`, through the Redis backplane (node-redis), so
 * that several of these processes share the topic.
 *
 *   node scripts/bench/servers/fanout-hub.js --port 0 [--redis redis://127.0.0.1:6379]
 */
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { type Backplane, Hub, serve } from '../../../src/index.js';
import { fromNodeRedis, redisBackplane } from '../../../src/redis/index.js';
import { exitOnSignals } from './exit.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9006' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
  },
});

const TOPIC = 'bench';
const ignore = (): void => {};

async function connectBackplane(url: string): Promise<{ backplane: Backplane; close: () => void }> {
  const client = createClient({ url });
  const subscriber = client.duplicate();
  await Promise.all([client.connect(), subscriber.connect()]);
  return {
    backplane: redisBackplane(fromNodeRedis(client, subscriber)),
    close: () => {
      client.destroy();
      subscriber.destroy();
    },
  };
}

const redis = values.redis === undefined ? null : await connectBackplane(values.redis);
// The benchmark measures delivery, so no subscriber is dropped for being slow.
const hub = new Hub({ maxPendingBytes: 64 * 1024 * 1024, maxPendingMessages: 1_000_000, ...(redis === null ? {} : { backplane: redis.backplane }) });

const server = await serve(
  { port: Number(values.port), host: values.host, upgrader: { checkOrigin: () => true }, onError: ignore },
  async (conn) => {
    await hub.subscribe(conn, TOPIC);
    try {
      // Not awaited: publishes are pipelined to Redis (still sent in order), as socket.io's emits are.
      for await (const { type, data } of conn) void hub.publish(TOPIC, type, data);
    } catch {
      // A client that vanished; the hub drops it when its connection closes.
    }
  },
);
console.log(`listening on ${server.url}`);
exitOnSignals(async () => {
  await server.close();
  redis?.close();
});
