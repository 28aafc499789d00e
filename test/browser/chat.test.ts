/**
 * The chat in a real browser: two pages, each a person. What one sends, the other sees; joins and
 * leaves are announced; user text stays text; the server shutting down is shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { type ChatServer, startChatServer } from '../../examples/chat/server.js';
import { consoleErrors, isPng, launchChromium, screenshot, skipBrowserTests, waitForCount, waitForText } from './chromium.js';

async function joinAs(page: Page, chat: ChatServer, name: string): Promise<void> {
  await page.goto(chat.url);
  await page.fill('#name', name);
  await page.click('#join button');
  await waitForText(page, '#status', 'connected');
}

const users = (page: Page): Promise<string[]> => page.$$eval('#users li', (items) => items.map((li) => li.textContent ?? ''));
const notices = (page: Page): Promise<string[]> => page.$$eval('#log .notice', (items) => items.map((li) => li.textContent ?? ''));
const messages = (page: Page): Promise<Array<{ from: string; text: string }>> =>
  page.$$eval('#log .message', (items) =>
    items.map((li) => ({ from: li.querySelector('.from')?.textContent ?? '', text: li.querySelector('.text')?.textContent ?? '' })),
  );

// Skipped only where Chromium is missing and this is not CI (see chromium.ts).
describe.skipIf(skipBrowserTests)('examples/chat in Chromium', () => {
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let chat: ChatServer;

  beforeAll(async () => {
    browser = await launchChromium();
    chat = await startChatServer({ port: 0 });
  }, 60_000);

  afterAll(async () => {
    await chat?.close();
    await browser?.close();
  });

  it('two people: join, talk both ways, leave; the server negotiated compression with each', async () => {
    const ada = await browser.context.newPage();
    const adaErrors = consoleErrors(ada);
    await joinAs(ada, chat, 'Ada');
    await waitForText(ada, '#me', 'Ada');
    expect(await users(ada)).toEqual(['Ada']);
    expect(await ada.isVisible('#join')).toBe(false); // the name form gives way to the room
    expect(await ada.isVisible('#room')).toBe(true);

    const bob = await browser.context.newPage();
    const bobErrors = consoleErrors(bob);
    await joinAs(bob, chat, '  Ada  '); // taken: the server makes it unique
    await waitForText(bob, '#me', 'Ada (2)');
    await waitForCount(ada, '#users li', 2);
    expect(await users(ada)).toEqual(['Ada', 'Ada (2)']);
    expect(await users(bob)).toEqual(['Ada', 'Ada (2)']);
    expect(await notices(ada)).toEqual(['You joined as Ada.', 'Ada (2) joined.']);

    // Markup in a message is shown as the characters typed, never run or rendered.
    const hostile = 'Hello! <img src=x onerror="document.title=\'pwned\'"> <b>bold?</b>';
    await bob.fill('#text', hostile);
    await bob.press('#text', 'Enter');
    await waitForCount(ada, '#log .message', 1);
    expect(await messages(ada)).toEqual([{ from: 'Ada (2)', text: hostile }]);
    expect(await ada.$$('#log img, #log b')).toHaveLength(0);
    expect(await ada.title()).toBe('rfc6455 chat');

    await ada.fill('#text', 'Hi! Two of us with the same name, how confusing. 👋');
    await ada.click('#say button');
    await waitForCount(bob, '#log .message', 2);
    expect(await messages(bob)).toEqual([
      { from: 'Ada (2)', text: hostile },
      { from: 'Ada', text: 'Hi! Two of us with the same name, how confusing. 👋' },
    ]);
    expect(await bob.inputValue('#text')).toBe(''); // the box empties once sent

    // Chromium offers permessage-deflate; the chat server accepts it.
    expect(chat.connections.size).toBe(2);
    for (const conn of chat.connections) expect(conn.compression).not.toBeNull();

    const shot = await screenshot(ada, 'chat-two-people');
    expect(isPng(shot)).toBe(true);

    await bob.close();
    await waitForCount(ada, '#users li', 1);
    expect(await users(ada)).toEqual(['Ada']);
    expect((await notices(ada)).at(-1)).toBe('Ada (2) left.');
    expect(adaErrors).toEqual([]); // no script error, no policy violation, no failed load
    expect(bobErrors).toEqual([]);
    await ada.close();
  }, 60_000);

  it('shows the server shutting down (1001)', async () => {
    const page = await browser.context.newPage();
    await joinAs(page, chat, 'Grace');
    await chat.close();
    await waitForText(page, '#status', 'disconnected (1001: server shutting down)');
    expect(await page.isVisible('#join')).toBe(true); // the name form is back, to join again
    expect(await page.isDisabled('#text')).toBe(true);
    expect(isPng(await screenshot(page, 'chat-server-gone'))).toBe(true);
    await page.close();
  }, 60_000);
});
