import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import type { Browser } from 'playwright-core';
import { API_SECRET_KEY, TENANT_ID } from '../helpers/connector';
import { launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT } from '../helpers/signIn';

/** The status page's Archive view, in Chromium, over a real archive copy the worker wrote. */
let browser: Browser;
let p: Pipeline;
let t: TrackedContext;
const DAY = '2026-11-18';

beforeAll(async () => {
  browser = await launchBrowser();
  p = await startPipeline();
  p.x.addPosts([
    { id: '1700000000000000001', author_id: ACCOUNT.id, text: 'Our quarterly results are out today', created_at: `${DAY}T09:00:00.000Z` },
    { id: '1700000000000000002', author_id: ACCOUNT.id, text: 'Office closed on Friday', created_at: `${DAY}T10:00:00.000Z` },
    { id: '1700000000000000003', author_id: ACCOUNT.id, text: 'Quarterly town hall next week', created_at: '2026-11-17T10:00:00.000Z' },
  ]);
  await p.requestTask('t-archive', '2026-11-17T00:00:00Z', `${DAY}T23:59:59Z`);
  expect(await p.worker.drain()).toBe(1);
});
afterAll(async () => {
  await t?.context.close();
  await p.close();
  await browser.close();
});

test('when the admin searches the archive for a word, then the posts with it are listed, one opens as archived, and its .eml downloads', async () => {
  t = await openContext(browser);
  const page = t.page;
  await page.goto(`${p.c.url}/status`);
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(API_SECRET_KEY);
  await page.getByRole('button', { name: 'Show status' }).click();
  await page.getByRole('heading', { name: 'Archive', exact: true }).waitFor();
  // The job and its days are offered once signed in.
  await page.locator('#archive-day option[value="2026-11-17"]').waitFor({ state: 'attached' });
  expect(await page.locator('#archive-job').inputValue()).toBe('job-1');

  await page.getByLabel('Search text and author').fill('QUARTERLY');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#archive-message', { hasText: '2 items.' }).waitFor();
  const rows = page.locator('#archive-table tbody tr');
  expect(await rows.count()).toBe(2);
  expect(await rows.nth(0).locator('th').textContent()).toBe('Our quarterly results are out today');
  expect(await rows.nth(1).locator('th').textContent()).toBe('Quarterly town hall next week');

  // One day only.
  await page.getByLabel('Day (UTC)').selectOption(DAY);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#archive-message', { hasText: '1 item.' }).waitFor();

  await page.getByRole('button', { name: 'Show item 1700000000000000001' }).click();
  await page.getByRole('heading', { name: 'Item as archived' }).waitFor();
  const shown = JSON.parse((await page.locator('#archive-item-content').textContent())!);
  expect(shown).toMatchObject({ Id: '1700000000000000001', Content: 'Our quarterly results are out today', ItemType: 'Tweet' });
  await screenshot(page, 'status-archive');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the message of item 1700000000000000001' }).click()]);
  expect(download.suggestedFilename()).toBe('1700000000000000001.eml');
  const eml = await simpleParser(readFileSync((await download.path())!));
  expect(eml.text?.trim()).toBe('Our quarterly results are out today');
  expect(eml.messageId).toBe('<1700000000000000001@x-archive.invalid>');

  // A word no post has: nothing; nothing left the machine.
  await page.getByLabel('Search text and author').fill('nonexistentword');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#archive-message', { hasText: 'No archived item matches.' }).waitFor();
  expect(offLoopback(t.requested)).toEqual([]);
});
