/**
 * rfc6455/redis: the Hub's backplane on Redis, for topics shared by several processes. It takes
 * the application's own Redis client (node-redis 5 or ioredis 5, through `fromNodeRedis` or
 * `fromIoredis`); this package depends on neither.
 */
export { RedisBackplane, redisBackplane } from './backplane.js';
export type { BackplaneGap, RedisBackplaneOptions, RedisBackplaneStats } from './options.js';
export type { RedisLink, RedisLinkHandlers } from './link.js';
export { fromNodeRedis } from './node-redis.js';
export type { NodeRedisBufferListener, NodeRedisClientLike, NodeRedisListener, NodeRedisSubscriberLike } from './node-redis.js';
export { fromIoredis } from './ioredis.js';
export type { IoredisClientLike, IoredisListener, IoredisSubscriberLike } from './ioredis.js';
