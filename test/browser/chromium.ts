/**
 * Driving Debian's Chromium with playwright-core. `.ci/run` installs Chromium when it is missing.
 * Without it, the browser tests are skipped locally (with a message saying so), and fail in CI.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether to skip the browser tests: only on a developer's machine without Chromium. In CI (`CI`
 * set to anything but '', '0' or 'false') they always run, so a missing Chromium fails them.
 */
export function shouldSkipBrowserTests(chromiumPresent: boolean, ci: string | undefined): boolean {
  const inCI = ci !== undefined && !['', '0', 'false'].includes(ci);
  return !chromiumPresent && !inCI;
}

export const skipBrowserTests = shouldSkipBrowserTests(existsSync(CHROMIUM_PATH), process.env.CI);
if (skipBrowserTests) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or run .ci/run, to run them)`);
}

/** Screenshots go here (git-ignored), for a person to look at after a run. */
export const SCREENSHOT_DIR = new URL('./screenshots/', import.meta.url);

/** A fresh headless Chromium with its own profile; `close()` removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is required here but ${CHROMIUM_PATH} is missing: .ci/run installs it with apt-get`);
  const profile = mkdtempSync(join(tmpdir(), 'rfc6455-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a PNG of the page and returns its bytes. */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
}

/** Whether `bytes` is a PNG image of some substance. */
export function isPng(bytes: Buffer): boolean {
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && bytes.length > 1000;
}

/** Collects what would show in the page's console as an error (script errors, CSP violations, failed loads), with the URL concerned. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/**
 * The page's `document`, as far as the page functions below use it: this project's TypeScript
 * has no DOM types, and the functions run in the page, where the real one is. (They are not
 * given as strings: the chat's content security policy forbids evaluating strings.)
 */
declare const document: {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { textContent: string | null } | null;
};

/** Waits until `selector` matches exactly `count` elements. */
export async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length === n, [selector, count] as const, { timeout: 30_000 });
}

/** Waits until the first element matching `selector` has exactly `text` as its text. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text] as const, { timeout: 30_000 });
}
