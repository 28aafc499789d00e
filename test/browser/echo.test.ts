/** The echo demo (examples/echo) in a real browser: greeted on connect, and what is typed comes back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { startEchoServer } from '../../examples/echo/server.js';
import { consoleErrors, isPng, launchChromium, screenshot, skipBrowserTests, waitForCount, waitForText } from './chromium.js';

// Skipped only where Chromium is missing and this is not CI (see chromium.ts).
describe.skipIf(skipBrowserTests)('examples/echo in Chromium', () => {
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let echo: { server: Server; url: string };

  beforeAll(async () => {
    browser = await launchChromium();
    echo = await startEchoServer(0);
  }, 60_000);

  afterAll(async () => {
    await browser?.close(); // first: the page's WebSocket then closes, so the server can
    echo?.server.closeAllConnections();
    await new Promise<void>((resolve) => (echo ? echo.server.close(() => resolve()) : resolve()));
  });

  it('connects, shows the greeting, and echoes what is typed', async () => {
    const page = await browser.context.newPage();
    const errors = consoleErrors(page);
    await page.goto(echo.url);
    await waitForText(page, '#state', 'connected');
    await waitForCount(page, '#log .received', 1);
    await page.fill('#text', 'hello from Chromium ✓');
    await page.press('#text', 'Enter');
    await waitForCount(page, '#log .received', 2);
    const log = await page.$$eval('#log div', (lines) => lines.map((d) => `${d.className}|${d.textContent}`));
    expect(log).toEqual([
      'received|← Welcome! Everything you send comes back.',
      'sent|→ hello from Chromium ✓',
      'received|← hello from Chromium ✓',
    ]);
    expect(isPng(await screenshot(page, 'echo'))).toBe(true);
    expect(errors.filter((e) => !e.endsWith('/favicon.ico)'))).toEqual([]); // the demo has no icon
    await page.close();
  }, 60_000);
});
