/** When the browser tests may be skipped: never in CI, where a missing Chromium must fail them. */
import { describe, expect, it } from 'vitest';
import { launchChromium, shouldSkipBrowserTests } from './chromium.js';

describe('shouldSkipBrowserTests', () => {
  it('skips only without Chromium and outside CI', () => {
    expect(shouldSkipBrowserTests(true, undefined)).toBe(false);
    expect(shouldSkipBrowserTests(true, '1')).toBe(false);
    expect(shouldSkipBrowserTests(false, undefined)).toBe(true);
    expect(shouldSkipBrowserTests(false, '')).toBe(true);
    expect(shouldSkipBrowserTests(false, '0')).toBe(true);
    expect(shouldSkipBrowserTests(false, 'false')).toBe(true);
    expect(shouldSkipBrowserTests(false, '1')).toBe(false);
    expect(shouldSkipBrowserTests(false, 'true')).toBe(false);
  });

  it.runIf(process.env.CI === '1')('in CI, Chromium is there to launch', async () => {
    const { close } = await launchChromium();
    await close();
  }, 60_000);
});
