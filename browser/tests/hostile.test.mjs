// Hostile text stored in a listing (a name with a script tag, a description with an
// onerror handler) is shown as text by the browser and runs nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, texts, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

/** Every script element of the page that a browser would execute. */
function executableScripts(page) {
  return page.locator('script:not([type="application/ld+json"])').count();
}

test('a business named with a script tag shows the name as text and runs nothing', async (t) => {
  const { page, open, dialogs, assertClean } = await visitor(t);
  await open(`/business/${FIXTURES.hostileSlug}`);

  assert.equal(await page.locator('h1').textContent(), FIXTURES.hostileName);
  const crumb = page.locator('nav.breadcrumbs [aria-current="page"]');
  assert.equal(await crumb.textContent(), FIXTURES.hostileName);
  const about = await texts(page, 'section[aria-labelledby="about-title"] p');
  assert.ok(
    about.some((text) => text.includes('<img src=x onerror=alert(1)>')),
    `the description's markup is shown literally: ${about}`,
  );
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no image made from the description');
  assert.equal(await executableScripts(page), 0);
  assert.ok((await page.title()).startsWith(`${FIXTURES.hostileName} — `), await page.title());
  assert.deepEqual(dialogs, [], 'no alert() ran');
  await assertClean();
});

test('search results list the hostile name as text and run nothing', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open('/search?q=zyzzogeton');

  const names = await texts(page, 'main .card h3');
  assert.ok(names.includes(FIXTURES.hostileName), `among ${names}`);
  assert.equal(await executableScripts(page), 0);
  await assertClean();
});
