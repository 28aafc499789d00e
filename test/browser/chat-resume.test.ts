/**
 * The scaled-out chat in a real browser: two chat servers share the room through Redis; the page's
 * server goes away, the page reconnects by itself (with backoff) once it is back, and resumes from
 * its last message id: what was said meanwhile on the other server appears, once each, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { type ChatServer, startChatServer } from '../../examples/chat/server.js';
import { type Conn, Dialer } from '../../src/index.js';
import { onCleanup } from '../helpers/servers.js';
import { type RedisServer, skipRedisTests, startRedis } from '../redis/redis-server.js';
import { launchChromium, skipBrowserTests, waitForCount, waitForText } from './chromium.js';

const texts = (page: Page): Promise<string[]> => page.$$eval('#log .message .text', (items) => items.map((li) => li.textContent ?? ''));

async function chatOn(redis: RedisServer, port = 0): Promise<ChatServer> {
  const chat = await startChatServer({ port, redisUrl: redis.url });
  onCleanup(() => chat.close());
  await expect.poll(() => chat.backplane?.connected, { timeout: 15_000 }).toBe(true);
  return chat;
}

/** Says `text` and waits for it to come back through the room. */
async function say(conn: Conn, text: string): Promise<void> {
  await conn.writeJSON({ type: 'say', text });
  for (;;) {
    const message = await conn.readJSON<{ type: string; text?: string }>();
    if (message.type === 'message' && message.text === text) return;
  }
}

describe.skipIf(skipBrowserTests || skipRedisTests)('the scaled-out chat in Chromium', () => {
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let redis: RedisServer;

  beforeAll(async () => {
    browser = await launchChromium();
    redis = await startRedis();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await redis?.stop();
  });

  it('reconnects by itself and resumes from its last message id', async () => {
    const first = await chatOn(redis);
    const other = await chatOn(redis);
    const page = await browser.context.newPage();
    await page.goto(first.url);
    await page.fill('#name', 'Ada');
    await page.click('#join button');
    await waitForText(page, '#status', 'connected');

    const { conn: bob } = await new Dialer().dial(`${other.url.replace(/^http/, 'ws')}ws`);
    onCleanup(() => bob.closeNow());
    await bob.writeJSON({ type: 'join', name: 'Bob' });
    await say(bob, 'one');
    await waitForCount(page, '#log .message', 1);

    await first.close();
    await waitForText(page, '#status', 'disconnected (1001: server shutting down)');
    await say(bob, 'two');
    await say(bob, 'three');
    const back = await chatOn(redis, first.port); // the page's server, back on its port
    await waitForCount(page, '#log .message', 3);
    await waitForText(page, '#status', 'connected');
    expect(await texts(page)).toEqual(['one', 'two', 'three']);
    await say(bob, 'four');
    await waitForCount(page, '#log .message', 4);
    expect(await texts(page)).toEqual(['one', 'two', 'three', 'four']);
    expect(back.room.names()).toEqual(['Ada']);
    await page.close();
  }, 90_000);
});
