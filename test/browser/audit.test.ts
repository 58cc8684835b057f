import type { Browser, Page } from 'playwright-core';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { API_SECRET_KEY, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { contrastProblems, launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, SIX_SETTINGS, X_APP } from '../helpers/signIn';

let browser: Browser;
let x: FakeX;
let c: TestConnector;
let t: TrackedContext;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  c = await startConnector({ env: { X_API_BASE_URL: x.url } });
});
afterEach(async () => {
  await t?.context.close();
  await c.close();
  await x.close();
});

async function signIn(page: Page): Promise<void> {
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(API_SECRET_KEY);
  await page.getByRole('button', { name: 'Show status' }).click();
}

const auditTable = (page: Page) => page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Hash' }) });
const firstSeq = async (page: Page) => (await auditTable(page).getByRole('row').nth(1).getByRole('rowheader').textContent())?.trim();

describe('the audit log on the status page', () => {
  test('when the admin signs in, then the audit log shows newest first, 50 a page, and Older and Newer page through it', async () => {
    // Through the API, as an admin would: 1 settings entry, then a job signed in and set up (2 more).
    await configure(c);
    await signInJob(c, x, 'job-1');
    // And 60 tasks queued since (the worker is not part of this test): 63 entries in all.
    for (let i = 1; i <= 60; i++) {
      await c.store.appendAudit({ kind: 'task.queued', details: { jobId: 'job-1', taskId: `task-${i}`, dirtyEntities: 0 } });
    }
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await signIn(page);

    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByText('Entries 63 to 14, newest first.').waitFor();
    const rows = auditTable(page).getByRole('row');
    expect(await rows.count()).toBe(51); // header + 50
    expect(await rows.nth(1).textContent()).toMatch(/^63.*Task queued.*jobId: job-1; taskId: task-60; dirtyEntities: 0/);
    const older = page.getByRole('button', { name: 'Older' });
    const newer = page.getByRole('button', { name: 'Newer' });
    expect(await newer.getAttribute('aria-disabled')).toBe('true');
    expect(await older.getAttribute('aria-disabled')).toBeNull();

    await older.click();
    await page.getByText('Entries 13 to 1, newest first.').waitFor();
    expect(await rows.count()).toBe(14);
    expect(await older.getAttribute('aria-disabled')).toBe('true');
    // The oldest three: settings by key name only (never a value), the sign-in, the setup.
    const text = (n: number) => auditTable(page).getByRole('row', { name: new RegExp(`^${n} `) }).textContent();
    expect(await text(1)).toContain('Settings saved');
    expect(await text(1)).toContain('changed: TwitterApiKey, TwitterApiSecretKey, TwitterAccessToken, TwitterAccessTokenSecret, AADAppId, AADAppSecret');
    expect(await text(1)).toContain('by the tenant id and APISecretKey from 127.0.0.1');
    expect(await text(2)).toMatch(/Job signed in to X.*accountUsername: contoso/);
    expect(await text(3)).toMatch(/Job set up.*accountName: Contoso News/);
    const shown = await page.locator('#audit-table').textContent();
    for (const secret of [SIX_SETTINGS.AADAppSecretValue, SIX_SETTINGS.TwitterApiSecretKeyValue, ACCOUNT_TOKENS.accessSecret]) expect(shown).not.toContain(secret);
    // The hash is shown short, and whole on hover.
    const entry1 = (await c.store.listAudit({ order: 'oldest', limit: 1 }))[0]!;
    expect(await auditTable(page).locator('td.hash').last().getAttribute('title')).toBe(`SHA-256 ${entry1.hash}`);
    await screenshot(page, 'status-audit-log');

    // At the oldest page Older (pressed from the keyboard) does nothing and keeps focus; Newer goes back.
    await older.focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('audit-older');
    expect(await firstSeq(page)).toBe('13');
    await newer.click();
    await page.getByText('Entries 63 to 14, newest first.').waitFor();
    expect(await firstSeq(page)).toBe('63');

    // A refresh shows entries written since.
    await c.store.appendAudit({ kind: 'job.deleted', details: { jobId: 'job-1' } });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('Entries 64 to 15, newest first.').waitFor();
    expect(await rows.nth(1).textContent()).toMatch(/^64.*Job deleted/);

    expect(await contrastProblems(page)).toEqual([]);
    expect(t.errors).toEqual([]);
    expect(offLoopback(t.requested)).toEqual([]);
  });

  test('when nothing was recorded yet, then the page says so and the pager goes nowhere', async () => {
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await signIn(page);
    await page.getByText('Nothing has been recorded yet.').waitFor();
    expect(await page.locator('#audit-table').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Older' }).getAttribute('aria-disabled')).toBe('true');
    expect(t.errors).toEqual([]);
  });
});
