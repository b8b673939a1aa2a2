// Every kind of public page, audited with axe-core for WCAG 2.1 A and AA (the harness audits
// each page a visitor loads; here each kind of page is loaded once): no serious or critical
// violation, and no console error.

import { test } from 'node:test';
import { FIXTURES, SITE, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

const PAGES = [
  '/',
  '/search?q=zyzzogeton',
  '/search?q=qqxxzzvv',
  '/categories',
  `/categories/${FIXTURES.categorySlug}`,
  '/cities/idabel',
  `/business/${FIXTURES.plumberSlug}`,
  `/business/${FIXTURES.hostileSlug}`,
  '/submit',
  '/submit/thanks',
  '/blog',
  '/about',
  '/advertise',
  '/privacy',
  '/terms',
];

for (const path of PAGES) {
  test(`${path} meets WCAG 2.1 A and AA`, async (t) => {
    const { open, assertClean } = await visitor(t);
    await open(path);
    await assertClean();
  });
}

test('the page for an unknown address meets WCAG 2.1 A and AA', async (t) => {
  const { page, assertClean } = await visitor(t);
  await page.goto(`${SITE}/no/such/page`);
  await assertClean();
});
