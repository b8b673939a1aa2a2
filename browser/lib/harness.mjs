// The browser tier's shared harness: where the site under test is, which fixtures it
// holds, how Chromium is started, and visitors (one browser context each) whose console,
// uncaught page errors and dialogs are recorded, and every page they load audited with
// axe-core for WCAG 2.1 A/AA, so every test can demand a clean, accessible page.
//
// `cargo xtask test` provides the environment (`browser_tests` in xtask/src/tiers.rs):
// the api and agent workers' URLs, fixture names from crates/e2e/src/fixtures.rs, the Chromium
// binary and the screenshot directory.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the browser tests run through \`cargo xtask test\``);
  }
  return value;
}

/** The api worker serving the site, without a trailing slash. */
export const SITE = required('KBC_API_URL').replace(/\/$/, '');
/** The agent worker serving sign-in and the console (app.kiamichibizconnect.com). */
export const APP = required('KBC_AGENT_URL').replace(/\/$/, '');
export const SCREENSHOT_DIR = required('KBC_SCREENSHOT_DIR');
export const FIXTURES = {
  plumberSlug: required('KBC_FIXTURE_PLUMBER_SLUG'),
  hostileSlug: required('KBC_FIXTURE_HOSTILE_SLUG'),
  hostileName: required('KBC_FIXTURE_HOSTILE_NAME'),
  categorySlug: required('KBC_FIXTURE_CATEGORY_SLUG'),
};

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** axe-core, pinned in package-lock.json; evaluated through DevTools, so the site's CSP
 * (which allows no script at all) stays as it is. */
const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The rules of WCAG 2.1 levels A and AA; a serious or critical violation fails the test. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Audits the page as loaded; problems go to `problems`. A page left before its audit ends
 * (a test clicking on) is not a finding: the page it leads to is audited in turn.
 */
async function audit(page, problems) {
  const url = page.url();
  try {
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }).then((r) => r.violations),
      AXE_TAGS,
    );
    for (const violation of violations) {
      if (AXE_FAILING_IMPACTS.has(violation.impact)) {
        const where = violation.nodes.map((node) => node.target.join(' ')).join(', ');
        problems.push(`axe ${violation.id} (${violation.impact}) on ${url}: ${violation.help} — ${where}`);
      }
    }
  } catch (error) {
    if (!/context was destroyed|navigation|Target page, context or browser has been closed/i.test(error.message)) {
      problems.push(`axe could not audit ${url}: ${error.message}`);
    }
  }
}

/** How long one browser action or navigation may take before the test fails. */
const ACTION_TIMEOUT_MS = 15_000;

/**
 * Starts Debian's Chromium with exactly the flags this project allows, a fresh profile,
 * and the pipe Playwright drives it through; Playwright's own default flags are left out.
 */
async function launch({ microphone } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'kbc-chromium-'));
  const browser = await chromium.launch({
    executablePath: required('KBC_CHROMIUM'),
    ignoreDefaultArgs: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      `--window-size=${DESKTOP.width},${DESKTOP.height}`,
      '--remote-debugging-pipe',
      '--no-startup-window',
      // A microphone that plays a recording, allowed without asking (push-to-talk tests).
      ...(microphone
        ? [
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
          `--use-file-for-fake-audio-capture=${microphone}`,
        ]
        : []),
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh visitor: its own cookies and cache, a phone or desktop viewport, and the
 * client address Cloudflare would put in `CF-Connecting-IP`, so each test's form posts
 * count against a rate limit of their own. `userAgent` replaces headless Chromium's own
 * (which the site's analytics rightly take for a robot) when a test needs a resident.
 */
async function visit(browser, { viewport = DESKTOP, client = '198.51.100.1', userAgent } = {}) {
  const phone = viewport.width < 600;
  const context = await browser.newContext({
    viewport,
    isMobile: phone,
    hasTouch: phone,
    extraHTTPHeaders: { 'CF-Connecting-IP': client },
    ...(userAgent ? { userAgent } : {}),
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  const audits = [];
  page.on('load', () => audits.push(audit(page, problems)));
  // Documents' statuses are the tests' own business (a 422 form page is expected), so
  // Chromium's "Failed to load resource" lines are judged from the network events below,
  // which say what kind of resource failed; every other console error is a problem.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`${message.text()} (${message.location().url || page.url()})`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document') {
      const kind = response.request().resourceType();
      problems.push(`${response.status()} for ${kind} ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText;
    // Leaving a page cancels what it was still loading; that is no fault of the page.
    if (error !== 'net::ERR_ABORTED') {
      problems.push(`${error} for ${request.resourceType()} ${request.url()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('dialog', async (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return {
    page,
    dialogs,
    /** Opens a path of the site (or of `origin`) and fails unless it answers 200. */
    async open(path, origin = SITE) {
      const response = await page.goto(`${origin}${path}`);
      assert.equal(response?.status(), 200, `GET ${path}`);
    },
    /**
     * Fails if any page this visitor saw logged an error, raised a dialog or broke a WCAG 2.1
     * A/AA rule seriously.
     */
    async assertClean() {
      await Promise.all(audits);
      assert.deepEqual(problems, [], 'console errors and accessibility violations');
      assert.deepEqual(dialogs, [], 'dialogs');
    },
    close: () => context.close(),
  };
}

/**
 * One Chromium for the calling test file, started before its first test and closed after
 * its last (with `{ microphone: wavPath }`, a fake microphone playing that recording). Returns `visitor(t, options)`, which opens a fresh visitor (see `visit`) that
 * is closed when test `t` ends.
 */
export function useChromium(options = {}) {
  let running;
  before(async () => {
    running = await launch(options);
  });
  after(async () => {
    await running?.close();
  });
  return async (t, options) => {
    const visitor = await visit(running.browser, options);
    t.after(() => visitor.close());
    return visitor;
  };
}

/** Where the page is now: its path, query parameters and fragment. */
export function location(page) {
  const url = new URL(page.url());
  return { path: url.pathname, params: Object.fromEntries(url.searchParams), hash: url.hash };
}

/** The trimmed text of every element matching `selector`, in document order. */
export function texts(page, selector) {
  return page
    .locator(selector)
    .evaluateAll((elements) => elements.map((element) => element.textContent.trim()));
}

/**
 * Fails if the page is wider than its screen (sideways scrolling), then saves it whole as
 * `<name>-<width>.png` among the screenshots.
 */
export async function fitsAndIsSaved(page, name, viewport) {
  const widths = await page.evaluate(() => ({
    content: document.documentElement.scrollWidth,
    screen: document.documentElement.clientWidth,
  }));
  assert.ok(
    widths.content <= widths.screen,
    `${name} at ${viewport.width} px: content ${widths.content} px wide on a ${widths.screen} px screen`,
  );
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${viewport.width}.png`), fullPage: true });
}

/**
 * Signs a visitor in on the agent as one of the fake Google's identities, by its display
 * name ("Ada Admin", "Owen Owner"), and waits to land on `landing`.
 */
export async function signInAs({ page, open }, who, landing) {
  await open('/sign-in', APP);
  await page.getByRole('button', { name: 'Sign in with Google' }).click();
  await page.getByRole('button', { name: new RegExp(`Continue as ${who}`) }).click();
  await page.waitForURL(`${APP}${landing}`);
}

/**
 * A public listing with `email`, sent from the public form by a visitor at `client` and
 * approved by the admin through the console.
 */
export async function publicListingOf(visitor, t, { name, email, client }) {
  const { page, open } = await visitor(t, { client });
  await open('/submit');
  await page.getByLabel('Business name', { exact: true }).fill(name);
  await page.getByLabel('Category').selectOption(FIXTURES.categorySlug);
  await page.getByLabel('Your name', { exact: true }).fill('Owen Owner');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Town', { exact: true }).fill('Idabel');
  await page.getByLabel('State').selectOption('OK');
  await page.getByRole('button', { name: 'Send for review' }).click();
  await page.waitForURL('**/submit/thanks');
  await signInAs({ page, open }, 'Ada Admin', '/admin/submissions');
  const submission = page.getByRole('link', { name });
  while ((await submission.count()) === 0) {
    await page.getByRole('link', { name: 'Next →' }).click();
  }
  await submission.click();
  await page.getByRole('button', { name: 'Approve and publish' }).click();
  await page.waitForURL(`${APP}/admin/submissions?done=approved`);
}
