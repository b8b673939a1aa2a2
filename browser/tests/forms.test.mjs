// The site's two forms in a real browser: a request to a business from its page, and a
// new listing that comes back with a field error, is fixed and lands on the thank-you page.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, location, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

test('a request sent from a business page is confirmed on that page', async (t) => {
  const { page, open, assertClean } = await visitor(t, { client: '198.51.100.21' });
  await open(`/business/${FIXTURES.plumberSlug}`);
  await page.getByLabel('Your name').fill('Browser Visitor');
  await page.getByLabel('Email').fill('visitor@example.com');
  await page.getByLabel('What do you need?').fill('The kitchen sink drains slowly.');
  await page.getByRole('button', { name: 'Send request' }).click();
  await page.waitForURL('**/business/*?lead=sent#contact');

  assert.equal(location(page).path, `/business/${FIXTURES.plumberSlug}`);
  assert.equal(
    await page.getByRole('status').textContent(),
    'Thank you — your request was sent to Zyzzogeton Plumbing. They will get back to you soon.',
  );
  assert.equal(await page.getByLabel('Your name').inputValue(), '', 'a fresh form');
  await assertClean();
});

test('a listing with a bad email shows the error by the field, keeps what was typed, and goes through once fixed', async (t) => {
  const { page, open, assertClean } = await visitor(t, { client: '198.51.100.22' });
  await open('/submit');
  const typed = {
    'Business name': 'Zyzzogeton Browser Bakery',
    'Describe what you do (optional)': 'Sourdough & kolaches, baked at 5 AM.',
    'Your name': 'Dana Baker',
    'Business phone (optional)': '(903) 555-0142',
    'Website (optional)': 'zyzzogeton-bakery.example.com',
    'Street address (optional)': '12 Main St',
    Town: 'Paris',
    'ZIP code (optional)': '75460',
  };
  for (const [label, value] of Object.entries(typed)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByLabel('Category').selectOption(FIXTURES.categorySlug);
  await page.getByLabel('State').selectOption('TX');
  await page.getByLabel('Email', { exact: true }).fill('dana-at-example.com');

  const rejected = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Send for review' }).click();
  assert.equal((await rejected).status(), 422);
  await page.waitForLoadState();
  const email = page.getByLabel('Email', { exact: true });
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await email.getAttribute('aria-describedby'), 'submit-email-error');
  assert.match(await page.locator('#submit-email-error').textContent(), /^Email: \S/);
  assert.match(await page.getByRole('alert').textContent(), /Email: \S/);
  assert.equal(await page.locator('[aria-invalid="true"]').count(), 1, 'only the email is wrong');
  for (const [label, value] of Object.entries(typed)) {
    assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), value, label);
  }
  assert.equal(await page.getByLabel('Category').inputValue(), FIXTURES.categorySlug);
  assert.equal(await page.getByLabel('State').inputValue(), 'TX');
  assert.equal(await email.inputValue(), 'dana-at-example.com');

  await email.fill('dana@example.com');
  await page.getByRole('button', { name: 'Send for review' }).click();
  await page.waitForURL('**/submit/thanks');
  assert.equal(await page.locator('h1').textContent(), 'Thank you!');
  await assertClean();
});
