// Keyboard-only use: the skip link, searching without a mouse, and a Tab order that walks
// every control of a page, with a visible focus ring, without getting stuck.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, location, useChromium } from '../lib/harness.mjs';

const visitor = useChromium();

/** What has the keyboard focus: a stable per-page number for the element, and a label. */
function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { key: 'body', id: '', label: 'body' };
    window.kbcFocusKeys ??= new WeakMap();
    if (!window.kbcFocusKeys.has(element)) {
      window.kbcFocusCount = (window.kbcFocusCount ?? 0) + 1;
      window.kbcFocusKeys.set(element, window.kbcFocusCount);
    }
    const style = getComputedStyle(element);
    return {
      key: window.kbcFocusKeys.get(element),
      id: element.id,
      label: `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} “${
        (element.getAttribute('aria-label') ?? element.textContent).trim().slice(0, 40)
      }”`,
      ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });
}

async function tab(page, key = 'Tab') {
  await page.keyboard.press(key);
  return focused(page);
}

test('the first Tab reaches the skip link, and Enter on it moves focus to the main content', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open('/');
  const first = await tab(page);
  assert.equal(first.label, 'a “Skip to content”');
  const box = await page.getByRole('link', { name: 'Skip to content' }).boundingBox();
  assert.ok(box && box.x >= 0 && box.y >= 0, `the focused skip link is on screen: ${JSON.stringify(box)}`);

  await page.keyboard.press('Enter');
  assert.equal(location(page).hash, '#main');
  assert.equal((await focused(page)).id, 'main');
  assert.equal((await tab(page)).id, 'search-q', 'the next Tab starts in the main content');
  await assertClean();
});

test('the search form is reached, filled and submitted with the keyboard alone', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open('/');
  const passed = [];
  for (let presses = 0; presses < 12; presses += 1) {
    const now = await tab(page);
    if (now.id === 'search-q') break;
    passed.push(now.label);
  }
  assert.equal((await focused(page)).id, 'search-q', `reached after ${passed.join(', ')}`);
  await page.keyboard.type('plumbing');
  assert.equal((await tab(page)).id, 'search-city');
  await page.keyboard.type('Idabel');
  assert.equal((await tab(page)).label, 'button “Search”');
  await page.keyboard.press('Enter');
  await page.waitForURL('**/search?**');

  assert.deepEqual(location(page).params, { q: 'plumbing', city: 'Idabel' });
  assert.equal(await page.locator('h1').textContent(), 'Results for “plumbing” in Idabel');
  await assertClean();
});

test('Tab walks a business page from top to footer with a focus ring on every stop, and Shift+Tab walks it back', async (t) => {
  const { page, open, assertClean } = await visitor(t);
  await open(`/business/${FIXTURES.plumberSlug}`);
  const forward = [];
  for (let presses = 0; presses < 200; presses += 1) {
    const now = await tab(page);
    if (now.key === 'body') break;
    assert.ok(
      !forward.some((seen) => seen.key === now.key),
      `focus came back to ${now.label} after ${forward.map((s) => s.label).join(', ')}`,
    );
    forward.push(now);
  }
  const labels = forward.map((stop) => stop.label);
  const ids = forward.map((stop) => stop.id);
  assert.equal(labels[0], 'a “Skip to content”');
  assert.equal(labels.at(-1), 'a “Sitemap”', 'the walk reaches the end of the footer');
  for (const id of ['lead-name', 'lead-email', 'lead-phone', 'lead-message']) {
    assert.ok(ids.includes(id), `#${id} is reachable`);
  }
  assert.ok(labels.includes('button “Send request”'));
  assert.ok(!ids.includes('lead-homepage'), 'the spam trap is never focused');
  const ringless = forward.filter((stop) => !stop.ring).map((stop) => stop.label);
  assert.deepEqual(ringless, [], 'stops without a visible focus ring');

  // Focus has just left the page past the last stop; Shift+Tab comes back in at that stop.
  const backward = [];
  while (backward.length < forward.length) {
    backward.push(await tab(page, 'Shift+Tab'));
  }
  assert.deepEqual(
    backward.map((stop) => stop.label),
    labels.toReversed(),
    'Shift+Tab retraces the same stops',
  );
  await assertClean();
});
