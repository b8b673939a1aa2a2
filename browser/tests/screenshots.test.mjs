// The main pages at phone and desktop widths: each fits the screen's width (no sideways
// scrolling), loads cleanly, and is saved as a full-page screenshot, a test artifact under
// target/screenshots/ for people to look at.

import { test } from 'node:test';
import { DESKTOP, FIXTURES, PHONE, fitsAndIsSaved, useChromium } from '../lib/harness.mjs';

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
    for (const viewport of [PHONE, DESKTOP]) {
      const { page, open, assertClean } = await visitor(t, { viewport });
      await open(path);
      await fitsAndIsSaved(page, name, viewport);
      await assertClean();
    }
  });
}
