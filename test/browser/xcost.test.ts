import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { TaskRun } from '../../src/store/types';
import { API_SECRET_KEY, basicAuth, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { contrastProblems, launchBrowser, offLoopback, openContext, screenshot, SCREENSHOT_DIR, type TrackedContext } from '../helpers/browser';
import { SIX_SETTINGS } from '../helpers/signIn';

let browser: Browser;
let c: TestConnector;
let t: TrackedContext;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  c = await startConnector({ env: { X_MONTHLY_BUDGET_USD: '25' } });
});
afterEach(async () => {
  await t?.context.close();
  await c.close();
});

async function signIn(page: Page, button: string): Promise<void> {
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(API_SECRET_KEY);
  await page.getByRole('button', { name: button }).click();
}

const month = new Date().toISOString().slice(0, 7);
const today = new Date().toISOString().slice(0, 10);

function run(taskId: string, over: Partial<TaskRun>): TaskRun {
  return {
    jobId: 'job-1', taskId, windowStart: `${today}T00:00:00.000Z`, windowEnd: `${today}T23:59:59.999Z`, status: 'success', items: 3, attachmentsSkipped: 0,
    daysOverCap: [], startedAt: `${today}T00:00:01.000Z`, finishedAt: `${today}T00:00:02.000Z`, durationMs: 1000, error: null, reported: true, ...over,
  };
}

test('when the admin turns the optional sources on, then the Configure page says what each costs and needs, and saves them as booleans', async () => {
  t = await openContext(browser);
  const { page } = t;
  await page.goto(`${c.url}/Configure`);
  await signIn(page, 'Set Configuration Settings');
  const group = page.getByRole('group', { name: 'What to archive' });
  await group.waitFor();
  expect(await page.getByLabel('Posts by the account (always on)').isChecked()).toBe(true);
  expect(await page.getByLabel('Posts by the account (always on)').isDisabled()).toBe(true);
  const mentions = page.getByLabel('Replies and mentions by others (off by default)');
  const dms = page.getByLabel('Direct messages (off by default)');
  expect(await mentions.isChecked()).toBe(false);
  expect(await dms.isChecked()).toBe(false);
  expect(await group.textContent()).toContain('US$0.01 a message read');
  expect(await group.textContent()).toContain('"Read and write and Direct message"');
  expect(await group.textContent()).toContain('US$0.001 a post as an owned read');

  for (const [wire, value] of Object.entries(SIX_SETTINGS)) await page.locator(`#${wire}`).fill(value);
  await dms.check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Configuration Saved Successfully.').waitFor();
  const saved = await request(c.url).get('/api/Configuration').set('Authorization', basicAuth()).expect(200);
  expect(saved.body).toMatchObject({ ArchiveMentionsValue: false, ArchiveDirectMessagesValue: true });
  expect(await dms.isChecked()).toBe(true);
  await screenshot(page, 'configure-what-to-archive');
  expect(t.errors).toEqual([]);
  expect(offLoopback(t.requested)).toEqual([]);
});

test("when X was read this month, then the status page's cost table shows the reads per source, their estimate and what to act on", async () => {
  await request(c.url).post('/api/Configuration').set('Authorization', basicAuth()).send({ ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true }).expect(200);
  await c.store.addXUsage('job-1', today, 'timeline', { requests: 12, posts: 1150, users: 40, dmEvents: 0 });
  await c.store.addXUsage('job-1', today, 'mentions', { requests: 3, posts: 240, users: 95, dmEvents: 0 });
  await c.store.addXUsage('job-1', today, 'directMessages', { requests: 2, posts: 0, users: 6, dmEvents: 130 });
  await c.store.addXUsage('job-1', today, 'dirtyEntities', { requests: 1, posts: 20, users: 2, dmEvents: 0 });
  await c.store.recordTaskRun(
    run('t-1', {
      notes: ['Direct messages: X refused them (HTTP 403): give the X app the permission "Read and write and Direct message", then sign the job in again. The account\'s posts were archived.'],
      missingXPermission: 'Read and write and Direct message',
    }),
  );
  t = await openContext(browser);
  const { page } = t;
  await page.goto(`${c.url}/status`);
  await signIn(page, 'Show status');
  const table = page.locator('#xcost-table');
  await table.getByRole('rowheader', { name: 'Direct messages' }).waitFor();
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  // 1150 × 0.001 + 40 × 0.01 = 1.55; 240 × 0.001 + 95 × 0.01 = 1.19; 6 × 0.01 + 130 × 0.01 = 1.36; 20 × 0.005 + 2 × 0.01 = 0.12
  expect(rows).toEqual([
    ['Posts by the account', '12', '1,150', '40', '0', '1.55'],
    ['Posts asked for again (DirtyEntities)', '1', '20', '2', '0', '0.12'],
    ['Replies and mentions by others', '3', '240', '95', '0', '1.19'],
    ['Direct messages', '2', '0', '6', '130', '1.36'],
  ]);
  expect(await table.locator('tfoot tr > *').allTextContents()).toEqual(['Total', '18', '1,410', '143', '130', '4.22']);
  expect(await page.locator('#xcost-caption').textContent()).toBe(`Reads from X in ${month} (UTC), all jobs`);
  expect(await page.locator('#xcost-archiving').textContent()).toBe('Every job archives: Posts by the account, Replies and mentions by others, Direct messages.');
  expect(await page.locator('#xcost-notices').textContent()).toContain('job-1: X refused direct messages: give the X app the permission "Read and write and Direct message", then sign the job in again');
  expect(await page.locator('#xcost-prices').textContent()).toContain('Monthly budget: US$25.00.');
  expect(await page.locator('#xcost-notes').textContent()).toContain('job-1 / t-1');
  // The task's own row in the task table says it too.
  const taskRow = page.locator('#tasks-table tbody tr').filter({ hasText: 'job-1 / t-1' });
  expect(await taskRow.locator('.task-note').textContent()).toContain('X refused them (HTTP 403)');
  expect(await contrastProblems(page)).toEqual([]);
  await page.locator('#xcost-section').screenshot({ path: join(SCREENSHOT_DIR, 'status-xcost.png') });
  expect(t.errors).toEqual([]);
  expect(offLoopback(t.requested)).toEqual([]);
});
