// The admin console in a real browser: an admin signs in through the fake Google, approves a
// listing whose name carries a script (shown as text, running nothing), and the business is
// then on the public site. The console pages are saved as screenshots at phone and desktop
// widths, each fitting the screen.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP, DESKTOP, FIXTURES, PHONE, fitsAndIsSaved, location, signInAs, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();
const HOSTILE = "<script>alert('console')</script> Qqbrowser Drains";

/** Sends a listing from the public site's form, as a resident would. */
async function submitListing(page, open, name) {
  await open('/submit');
  await page.getByLabel('Business name', { exact: true }).fill(name);
  await page.getByLabel('Category').selectOption(FIXTURES.categorySlug);
  await page.getByLabel('Your name', { exact: true }).fill('Dana Drains');
  await page.getByLabel('Email', { exact: true }).fill('dana@example.com');
  await page.getByLabel('Town', { exact: true }).fill('Idabel');
  await page.getByLabel('State').selectOption('OK');
  await page.getByRole('button', { name: 'Send for review' }).click();
  await page.waitForURL('**/submit/thanks');
}


test('an admin signs in, approves a script-laden listing shown as text, and it goes public', async (t) => {
  const { page, open, assertClean, dialogs } = await visitor(t, { client: '198.51.100.41' });
  await submitListing(page, open, HOSTILE);
  await signInAs({ page, open }, 'Ada Admin', '/admin/submissions');

  // The queue lists the oldest first, so the newest submission may be pages away.
  const submission = page.getByRole('link', { name: HOSTILE });
  while ((await submission.count()) === 0) {
    await page.getByRole('link', { name: 'Next →' }).click();
  }
  await submission.click();
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), HOSTILE);
  await page.getByRole('button', { name: 'Approve and publish' }).click();
  await page.waitForURL(`${APP}/admin/submissions?done=approved`);
  assert.equal((await page.getByRole('status').textContent()).trim(), 'Approved and published.');

  await open(`/search?q=${encodeURIComponent('Qqbrowser Drains')}`);
  await page.getByRole('link', { name: HOSTILE }).click();
  assert.match(location(page).path, /^\/business\//);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), HOSTILE);
  assert.deepEqual(dialogs, [], 'the name ran no script');
  await assertClean();
});

test('signing out ends the session: the console asks to sign in again', async (t) => {
  const { page, open, assertClean } = await visitor(t, { client: '198.51.100.42' });
  await signInAs({ page, open }, 'Ada Admin', '/admin/submissions');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${APP}/sign-in?signed_out=1`);
  await page.goto(`${APP}/admin/submissions`);
  assert.equal(location(page).path, '/sign-in');
  await assertClean();
});

const CONSOLE_PAGES = {
  'console-queue': '/admin/submissions',
  'console-businesses': '/admin/businesses',
  'console-claims': '/admin/claims',
  'console-jobs': '/admin/jobs',
  'console-suggestions': '/admin/suggestions',
  'console-analyzer': '/admin/analyzer',
  'console-blog': '/admin/blog',
  'console-post-editor': '/admin/blog/new',
  'console-users': '/admin/users',
  'console-audit': '/admin/audit',
  'console-account': '/account',
};

test('the console pages fit phone and desktop widths', async (t) => {
  for (const viewport of [PHONE, DESKTOP]) {
    const { page, open, assertClean } = await visitor(t, { viewport, client: '198.51.100.43' });
    await signInAs({ page, open }, 'Ada Admin', '/admin/submissions');
    for (const [name, path] of Object.entries(CONSOLE_PAGES)) {
      await open(path, APP);
      await fitsAndIsSaved(page, name, viewport);
    }
    await assertClean();
  }
});
