/** When the Redis tests may be skipped: never in CI, where a missing redis-server must fail them. */
import { describe, expect, it } from 'vitest';
import { shouldSkipRedisTests, startRedis } from './redis-server.js';

describe('shouldSkipRedisTests', () => {
  it('skips only without redis-server and outside CI', () => {
    expect(shouldSkipRedisTests(true, undefined)).toBe(false);
    expect(shouldSkipRedisTests(true, '1')).toBe(false);
    expect(shouldSkipRedisTests(false, undefined)).toBe(true);
    expect(shouldSkipRedisTests(false, '')).toBe(true);
    expect(shouldSkipRedisTests(false, 'false')).toBe(true);
    expect(shouldSkipRedisTests(false, '1')).toBe(false);
  });

  it.runIf(process.env.CI === '1')('in CI, redis-server is there to start', async () => {
    const redis = await startRedis();
    await redis.stop();
  }, 30_000);
});
