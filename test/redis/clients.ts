/** Real node-redis 5 and ioredis 5 clients for the backplane tests, closed after each test. */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RedisLink, fromIoredis, fromNodeRedis } from '../../src/redis/index.js';
import { onCleanup } from '../helpers/servers.js';

export type ClientKind = 'node-redis' | 'ioredis';
export const CLIENT_KINDS: ClientKind[] = ['node-redis', 'ioredis'];

/** Quick reconnection: the tests restart Redis and wait for the backplane to notice. */
const retryDelay = (attempt: number): number => Math.min(20 * 2 ** attempt, 250);

export interface Clients {
  link: RedisLink;
  /** A plain command on the command connection, for assertions. */
  command(args: string[]): Promise<unknown>;
}

export async function connectClients(kind: ClientKind, port: number): Promise<Clients> {
  if (kind === 'node-redis') {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: retryDelay } });
    client.on('error', () => {}); // the backplane hears errors too; tests kill Redis on purpose
    const subscriber = client.duplicate();
    subscriber.on('error', () => {});
    await Promise.all([client.connect(), subscriber.connect()]);
    onCleanup(async () => {
      client.destroy();
      subscriber.destroy();
    });
    return { link: fromNodeRedis(client, subscriber), command: (args) => client.sendCommand(args) };
  }
  const options = { retryStrategy: retryDelay, maxRetriesPerRequest: null, lazyConnect: true };
  const client = new Redis(port, '127.0.0.1', options);
  client.on('error', () => {});
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  await Promise.all([client.connect(), subscriber.connect()]);
  onCleanup(() => {
    client.disconnect();
    subscriber.disconnect();
  });
  return { link: fromIoredis(client, subscriber), command: (args) => client.call(args[0]!, ...args.slice(1)) };
}
