// The main pages at phone and desktop widths: each fits the screen's width (no sideways
// scrolling), loads cleanly, and is saved as a full-page screenshot, a test artifact under
// target/screenshots/ for people to look at.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DESKTOP, FIXTURES, PHONE, SCREENSHOT_DIR, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

const PAGES = {
  home: '/',
  search: '/search?q=zyzzogeton',
  business: `/business/${FIXTURES.plumberSlug}`,
  submit: '/submit',
  category: `/categories/${FIXTURES.categorySlug}`,
};

for (const [name, path] of Object.entries(PAGES)) {
  test(`the ${name} page fits phone and desktop widths (${path})`, async (t) => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    for (const viewport of [PHONE, DESKTOP]) {
      const { page, open, assertClean } = await visitor(t, { viewport });
      await open(path);
      const widths = await page.evaluate(() => ({
        content: document.documentElement.scrollWidth,
        screen: document.documentElement.clientWidth,
      }));
      assert.ok(
        widths.content <= widths.screen,
        `${viewport.width} px: content ${widths.content} px wide on a ${widths.screen} px screen`,
      );
      await page.screenshot({
        path: join(SCREENSHOT_DIR, `${name}-${viewport.width}.png`),
        fullPage: true,
      });
      await assertClean();
    }
  });
}
