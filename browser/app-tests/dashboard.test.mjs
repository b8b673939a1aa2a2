// The owner dashboard in a real browser: an owner signs in through the fake Google, claims
// their listing, edits its hours (the public "open now" follows), uploads a photo (public at
// once; a renamed non-image is refused), answers a lead, watches the analytics move after
// residents visit, publishes a page, brings an earlier version back and drags its sections
// into another order — and does the
// editor with the keyboard alone. Every dashboard page is saved at phone and desktop widths.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  APP, DESKTOP, PHONE, fitsAndIsSaved, location, publicListingOf, signInAs, useChromium,
} from '../lib/harness.mjs';

const visitor = useChromium();
const NAME = 'Qqbrowser Owner Drains';
const OWNER = 'owner@ridgeline-plumbing.test';
const PHOTO = fileURLToPath(new URL('../../crates/domain/tests/fixtures/gps.jpg', import.meta.url));
const RESIDENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';


/** The total the analytics page shows for a metric. */
async function total(page, label) {
  const cell = page.locator('table.totals tr', { has: page.getByRole('rowheader', { name: label, exact: true }) }).locator('td');
  return Number(await cell.textContent());
}

let dashboard;
let visits = 0;

/**
 * A public path as a new visit: the site lets browsers keep a page for a minute, so a page
 * seen before an owner's change would otherwise come from the browser's own cache. (The
 * site's cache ignores the extra parameter.)
 */
function fresh(path) {
  visits += 1;
  return `${path}?visit=${visits}`;
}

test('an owner claims, edits hours, adds a photo, answers a lead, reads analytics and publishes a page', async (t) => {
  await publicListingOf(visitor, t, { name: NAME, email: OWNER, client: '198.51.100.51' });
  const { page, open, assertClean, dialogs } = await visitor(t, { client: '198.51.100.52' });
  const resident = await visitor(t, { client: '198.51.100.53', userAgent: RESIDENT });

  // Claim it from the public page's "Is this your business?".
  await open(`/search?q=${encodeURIComponent('Qqbrowser Owner')}`);
  await page.getByRole('link', { name: NAME }).click();
  const listing = location(page).path;
  assert.match(await page.locator('body').textContent(), /Hours not listed/);
  await page.getByRole('link', { name: 'Is this your business?' }).click();
  await page.getByRole('button', { name: 'Sign in with Google' }).click();
  await page.getByRole('button', { name: /Continue as Owen Owner/ }).click();
  await page.getByRole('button', { name: 'Claim this business' }).click();
  await page.waitForURL(`${APP}/account?done=owner`);
  await page.getByRole('link', { name: NAME }).click();
  dashboard = location(page).path;
  assert.match(dashboard, /^\/dashboard\/\d+$/);

  // Hours: open around the clock, and the public page says it is open now.
  await page.getByRole('link', { name: 'Listing', exact: true }).click();
  for (const day of ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']) {
    await page.getByLabel(day, { exact: true }).fill('0:00-0:00');
  }
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(`${APP}${dashboard}/edit?done=listing-saved`);
  await page.waitForTimeout(1100);
  await open(fresh(listing));
  assert.match(await page.locator('body').textContent(), /Open now/);

  // A photo: public at once, its description as alt text; a renamed page is refused.
  await open(`${dashboard}/photos`, APP);
  await page.getByLabel('Photo', { exact: true }).setInputFiles(PHOTO);
  await page.getByLabel('Describe it for someone who cannot see it').fill('Our van outside the shop');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.waitForURL(`${APP}${dashboard}/photos?done=photo-added`);
  const disguised = join(await mkdtemp(join(tmpdir(), 'kbc-')), 'holiday.jpg');
  await writeFile(disguised, '<html><script>alert(1)</script></html>');
  await page.getByLabel('Photo', { exact: true }).setInputFiles(disguised);
  await page.getByLabel('Describe it for someone who cannot see it').fill('Not a photo');
  await page.getByRole('button', { name: 'Upload' }).click();
  assert.match(await page.getByRole('alert').textContent(), /must be a JPEG, PNG or WebP image/);
  await page.waitForTimeout(1100);
  await open(fresh(listing));
  assert.equal(await page.getByRole('img', { name: 'Our van outside the shop' }).count(), 1);

  // A resident asks for a quote; the owner opens it and moves it on.
  await resident.open(listing);
  await resident.page.getByLabel('Your name').fill('Rita Resident');
  await resident.page.getByLabel('Email').fill('rita@example.com');
  await resident.page.getByLabel('What do you need?').fill('A quote for a new water heater, please.');
  await resident.page.getByRole('button', { name: 'Send request' }).click();
  await open(`${dashboard}/leads`, APP);
  await page.getByRole('link', { name: 'Rita Resident' }).click();
  await page.waitForURL(new RegExp(`${dashboard}/leads/\\d+$`));
  assert.equal(await page.getByRole('link', { name: /Email rita@example.com/ }).count(), 1);
  await page.getByLabel('Stage').selectOption('contacted');
  await page.getByRole('button', { name: 'Save stage' }).click();
  assert.equal((await page.getByRole('status').textContent()).trim(), 'Stage saved.');

  // Residents' visits move the chart (a headless browser alone would count as a robot).
  await open(`${dashboard}/analytics?days=7`, APP);
  const before = await total(page, 'Listing views');
  for (let visit = 0; visit < 3; visit += 1) {
    await resident.open(fresh(listing));
  }
  // A batch that meets a busy local D1 is retried by the queue after 30 s, as designed.
  let after = before;
  for (let tries = 0; tries < 90 && after < before + 3; tries += 1) {
    await page.waitForTimeout(500);
    await page.reload();
    after = await total(page, 'Listing views');
  }
  assert.ok(after >= before + 3, `views went from ${before} to ${after}`);
  assert.equal(await page.locator('svg[role="img"]').count(), 6, 'one chart per measure');

  // The page builder: publish, change, publish again, then bring the first version back.
  await open(`${dashboard}/page`, APP);
  await page.getByLabel('Add a section').selectOption('hero');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByLabel('Headline').fill('Drains cleared the same day');
  await page.getByRole('button', { name: 'Save section' }).click();
  await page.getByRole('button', { name: 'Publish this page' }).click();
  await page.getByLabel('Headline').fill('Water heaters installed this week');
  await page.getByRole('button', { name: 'Save section' }).click();
  await page.getByRole('button', { name: 'Publish this page' }).click();
  await page.waitForTimeout(1100);
  await open(fresh(`${listing}/page`));
  assert.match(await page.locator('body').textContent(), /Water heaters installed this week/);
  await open(`${dashboard}/page`, APP);
  await page.getByRole('button', { name: 'restore version 1' }).click();
  await page.waitForURL(`${APP}${dashboard}/page?done=restored`);
  await page.waitForTimeout(1100);
  await open(fresh(`${listing}/page`));
  assert.match(await page.locator('body').textContent(), /Drains cleared the same day/);

  // Dragging a section (the dashboard's one script) reorders the page; the buttons remain.
  await open(`${dashboard}/page`, APP);
  await page.getByLabel('Add a section').selectOption('about');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const sections = page.locator('ol.builder-sections > li');
  assert.deepEqual(await sections.locator('h4').allTextContents(), ['Welcome banner', 'About us']);
  // Both sections on screen: scrolling in the middle of a native drag would cancel it.
  await page.setViewportSize({ width: 1280, height: 2400 });
  await Promise.all([
    page.waitForURL(/done=section-moved/),
    // Grabbed by its heading (a field inside selects text instead of dragging the section).
    sections.nth(1).dragTo(sections.nth(0), { sourcePosition: { x: 30, y: 20 }, targetPosition: { x: 30, y: 10 } }),
  ]);
  assert.deepEqual(await sections.locator('h4').allTextContents(), ['About us', 'Welcome banner']);

  assert.deepEqual(dialogs, [], 'nothing the owner typed ran');
  await assertClean();
  await resident.assertClean();
});

test('the listing editor works with the keyboard alone', async (t) => {
  assert.ok(dashboard, 'the owner test ran first');
  const { page, open, assertClean } = await visitor(t, { client: '198.51.100.54' });
  await signInAs({ page, open }, 'Owen Owner', '/dashboard');
  await open(`${dashboard}/edit`, APP);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  // Tab to the name field, replace it, and keep tabbing until the save button. Reaching it
  // never takes more presses than the page has focusable elements (the owner's other
  // businesses, one link each, come before it).
  const focusable = await page.evaluate(
    () => document.querySelectorAll('a[href], button, input, select, textarea, summary').length,
  );
  let presses = 0;
  while ((await page.evaluate(() => document.activeElement?.id)) !== 'listing-name') {
    await page.keyboard.press('Tab');
    presses += 1;
    assert.ok(presses <= focusable, 'the name field is reachable by Tab');
  }
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(`${NAME} & Sons`);
  while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'Save changes') {
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Tab');
    presses += 1;
    assert.ok(presses <= focusable, 'the save button is reachable by Tab, no trap on the way');
  }
  await page.keyboard.press('Enter');
  await page.waitForURL(`${APP}${dashboard}/edit?done=listing-saved`);
  assert.equal(await page.getByLabel('Business name').inputValue(), `${NAME} & Sons`);
  await assertClean();
});

test('every dashboard page fits phone and desktop widths', async (t) => {
  assert.ok(dashboard, 'the owner test ran first');
  const pages = {
    'dashboard-businesses': '/dashboard',
    'dashboard-new-listing': '/dashboard/new',
    'dashboard-overview': dashboard,
    'dashboard-editor': `${dashboard}/edit`,
    'dashboard-history': `${dashboard}/history`,
    'dashboard-photos': `${dashboard}/photos`,
    'dashboard-leads': `${dashboard}/leads`,
    'dashboard-analytics': `${dashboard}/analytics`,
    'dashboard-suggestions': `${dashboard}/suggestions`,
    'dashboard-page-builder': `${dashboard}/page`,
  };
  for (const viewport of [PHONE, DESKTOP]) {
    const { page, open, assertClean } = await visitor(t, { viewport, client: '198.51.100.55' });
    await signInAs({ page, open }, 'Owen Owner', '/dashboard');
    const shots = { ...pages };
    await open(`${dashboard}/leads`, APP);
    const lead = await page.getByRole('link', { name: 'Rita Resident' }).getAttribute('href');
    shots['dashboard-lead'] = lead;
    for (const [name, path] of Object.entries(shots)) {
      await open(path, APP);
      await fitsAndIsSaved(page, name, viewport);
    }
    await assertClean();
  }
});
