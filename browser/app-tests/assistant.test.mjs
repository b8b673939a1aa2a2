// The assistant in a real browser: an owner asks in writing (the answer streams in through
// the dashboard's script), approves the card and sees the public page change; then holds
// "Hold to talk" with Chromium's fake microphone playing a recording, sees the transcript
// and receives the spoken answer. The chat is saved at phone and desktop widths.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  APP, DESKTOP, PHONE, fitsAndIsSaved, location, publicListingOf, signInAs, useChromium,
} from '../lib/harness.mjs';

/** Two seconds of a 440 Hz tone, 16 kHz mono 16-bit: what the fake microphone plays. */
async function recording() {
  const rate = 16000;
  const samples = rate * 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) {
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  }
  const path = join(await mkdtemp(join(tmpdir(), 'kbc-voice-')), 'hello.wav');
  await writeFile(path, wav);
  return path;
}

const visitor = useChromium({ microphone: await recording() });
const NAME = 'Qqbrowser Assistant Bakery';
const OWNER = 'owner@ridgeline-plumbing.test';

/** The fake model answers as scripted next (see kbc-cf-fake's ai module), reset first. */
async function fakeModel(path, body) {
  const response = await fetch(`${process.env.KBC_AI_URL}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `fake model ${path}`);
}

test('an owner asks the assistant in writing and by voice, approves the card and the public page follows', async (t) => {
  await fakeModel('/__fake/reset', {});
  await publicListingOf(visitor, t, { name: NAME, email: OWNER, client: '198.51.100.61' });
  const { page, open, assertClean } = await visitor(t, { client: '198.51.100.62' });
  await open(`/search?q=${encodeURIComponent('Qqbrowser Assistant')}`);
  await page.getByRole('link', { name: NAME }).click();
  const listing = location(page).path;
  await page.getByRole('link', { name: 'Is this your business?' }).click();
  await page.getByRole('button', { name: 'Sign in with Google' }).click();
  await page.getByRole('button', { name: /Continue as Owen Owner/ }).click();
  await page.getByRole('button', { name: 'Claim this business' }).click();
  await page.waitForURL(`${APP}/account?done=owner`);
  await page.getByRole('link', { name: NAME }).click();

  // Typed: the fake model proposes Saturday hours (its canned answer to hours).
  await page.getByRole('link', { name: 'Assistant', exact: true }).click();
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByLabel('Message').fill('Please open on Saturdays from 9 to 1');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const card = page.locator('.action-card');
  await card.waitFor();
  assert.match(await card.textContent(), /9:00-13:00/);
  assert.match(await page.locator('#assistant-log').textContent(), /approve it when it looks right/);
  const conversation = location(page).path;
  for (const viewport of [PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    await fitsAndIsSaved(page, 'dashboard-assistant', viewport);
  }
  await page.setViewportSize(DESKTOP);
  await card.getByRole('button', { name: 'Approve' }).click();
  await page.waitForURL(new RegExp(`${conversation}\\?done=assistant-approved`));
  assert.match(await card.textContent(), /Approved/);
  await page.waitForTimeout(1100);
  await open(`${listing}?visit=assistant`);
  assert.match(await page.locator('body').textContent(), /9:00 AM\s*[–-]\s*1:00 PM/);

  // Spoken: hold to talk while the fake microphone plays; the transcript and the answer
  // show as text, and the answer comes back as audio.
  await page.context().grantPermissions(['microphone'], { origin: APP });
  await open(conversation, APP);
  const talk = page.getByRole('button', { name: 'Hold to talk' });
  await talk.waitFor();
  await talk.scrollIntoViewIfNeeded();
  const box = await talk.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(1500);
  await page.mouse.up();
  const voice = page.locator('#assistant-voice');
  const said = page.locator('#assistant-status');
  await page.waitForFunction(
    () => {
      const status = document.getElementById('assistant-status').textContent.trim();
      return document.getElementById('assistant-voice') || (status && !status.startsWith('Listening'));
    },
  );
  assert.equal(await voice.count(), 1, `no spoken answer; the page says: ${await said.textContent()}`);
  const source = await voice.getAttribute('src');
  assert.match(source, /^data:audio\/mpeg;base64,/);
  assert.ok(source.length > 200, 'the spoken answer has sound');
  assert.match(await page.locator('#assistant-log').textContent(), /Please set our Saturday hours to 9:00-13:00\./);
  await assertClean();
});
