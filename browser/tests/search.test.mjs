// Finding a business: a search typed on the home page, and the detail page of a result.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, location, texts, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

test('a search typed on the home page lists ranked results and keeps the query in the form', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open('/');
  await page.getByLabel('What are you looking for?').fill('plumbing');
  await page.getByLabel('Where?').fill('Idabel');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL('**/search?**');

  assert.deepEqual(location(page), {
    path: '/search',
    params: { q: 'plumbing', city: 'Idabel' },
    hash: '',
  });
  assert.equal(await page.locator('h1').textContent(), 'Results for “plumbing” in Idabel');
  const names = await texts(page, 'main .card h3');
  assert.equal(names[0], 'Zyzzogeton Plumbing', 'the name match ranks first');
  const count = names.length === 1 ? '1 business' : `${names.length} businesses`;
  assert.equal(await page.locator('.results-summary').textContent(), `${count} found.`);
  assert.equal(await page.getByLabel('What are you looking for?').inputValue(), 'plumbing');
  assert.equal(await page.getByLabel('Where?').inputValue(), 'Idabel');
  await assertClean();
});

test('a result opens its business page with name, phone, hours and the open-now line', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open('/search?q=plumbing&city=Idabel');
  await page.getByRole('link', { name: 'Zyzzogeton Plumbing' }).click();
  await page.waitForURL(`**/business/${FIXTURES.plumberSlug}`);

  assert.equal(await page.locator('h1').textContent(), 'Zyzzogeton Plumbing');
  const phone = page.locator('main a[href^="tel:"]');
  assert.match(await phone.textContent(), /^\(\d{3}\) \d{3}-\d{4}$/);
  assert.ok(await phone.isVisible(), 'the phone number is visible');
  const days = await texts(page, 'table.hours th');
  assert.deepEqual(days, [
    'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
  ]);
  const hours = await texts(page, 'table.hours td');
  assert.ok(
    hours.some((text) => /^\d{1,2}:\d{2} [AP]M – \d{1,2}:\d{2} [AP]M$/.test(text)),
    `opening times among ${hours}`,
  );
  assert.equal(await page.locator('table.hours tr.today').count(), 1, 'today is marked');
  assert.match(
    await page.locator('main p.open, main p.closed').textContent(),
    /^(Open now|Closed now)\b.*\(Central time\)$/,
  );
  await assertClean();
});
