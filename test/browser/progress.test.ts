import type { Browser, Page } from 'playwright-core';
import type { FakeXPost } from '../fakes/xServer';
import { API_SECRET_KEY, TENANT_ID } from '../helpers/connector';
import { launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT, SIX_SETTINGS } from '../helpers/signIn';
import type { Worker } from '../../src/ingest/worker';

/**
 * The status page while the worker runs: a task slowed by the fake X (a rate-limit reset, then
 * late pages) shows its phase and counts moving; a failed task says what to do; a stopped worker
 * shows in red. The worker runs on a one-second schedule, so three periods are three seconds.
 */
jest.setTimeout(60_000);

const TIMELINE = new RegExp(`^/2/users/${ACCOUNT.id}/tweets$`);
const START = '2026-11-10T00:00:00.000Z';
const END = '2026-11-11T00:00:00.000Z';

function posts(n: number): FakeXPost[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(3000000000000000000n + BigInt(i + 1)),
    author_id: ACCOUNT.id,
    text: `post ${i + 1}`,
    created_at: new Date(Date.UTC(2026, 10, 10, 1, 0, i + 1)).toISOString(),
  }));
}

/** Resolves once check() holds, looking every 50 ms (for state outside the page: the store). */
async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let browser: Browser;
let p: Pipeline;
let worker: Worker;
let t: TrackedContext;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  p = await startPipeline({ env: { INGEST_CRON: '*/1 * * * * *' } });
  // The app owner's access token pair of the six settings, which the Settings card checks with X.
  p.x.addUser({ id: '1500000000000000077', name: 'App Owner', username: 'contoso_dev' }, { accessToken: SIX_SETTINGS.TwitterAccessTokenValue, accessSecret: SIX_SETTINGS.TwitterAccessTokenSecretValue });
  // Failed reports are retried every 100-200 ms for as long as a test holds the Event API back.
  worker = p.newWorker({ retry: { attempts: 1000, baseMs: 100, maxMs: 200 } });
  worker.start();
});
afterEach(async () => {
  await t?.context.close();
  await worker.stop();
  await p.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${p.c.url}/status`);
  await page.fill('#tenant-id', TENANT_ID);
  await page.fill('#api-secret-key', API_SECRET_KEY);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#status-section').waitFor();
}

describe('status page while the worker runs', () => {
  test('when a task waits for a rate-limit reset and gets late pages, then its phase and counts move on the page on their own, and its outcome shows when it ends', async () => {
    p.x.addPosts(posts(250));
    const reset = Math.ceil(Date.now() / 1000) + 4;
    p.x.injectFaults(TIMELINE, [
      { kind: 'pass' },
      {
        status: 429,
        headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
        body: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
      },
      { kind: 'stall', ms: 2500 },
      { kind: 'stall', ms: 2500 },
    ]);
    // The report is held back until the page has shown the last counts.
    p.events.failNext(1_000_000, 503);
    await p.requestTask('t-slow', START, END);
    await until(async () => (await p.c.store.getTaskRun('job-1', 't-slow'))?.progress?.resumesAt);

    t = await openContext(browser);
    await signIn(t.page);
    const running = t.page.locator('#running-tasks');
    await running.getByText(/Fetching posts from X · 100 posts fetched .*waiting for X's rate-limit reset; resumes at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/).waitFor();
    await expect(running.textContent()).resolves.toContain('job-1 / t-slow');
    // The worker that holds it is listed, alive, with the task in hand.
    await t.page.locator('#workers-table tbody tr', { hasText: 'job-1 / t-slow' }).getByText('Running').waitFor();
    await screenshot(t.page, 'status-running-task');

    // No click: the page asks again by itself while the task runs.
    await running.getByText(/200 posts fetched/).waitFor({ timeout: 15_000 });
    expect(await running.textContent()).not.toMatch(/rate-limit reset/);
    await running.getByText(/Reporting to Microsoft 365 · 250 posts fetched · 250 of 250 items uploaded · 0 attachments skipped/).waitFor({ timeout: 15_000 });
    await screenshot(t.page, 'status-running-task-reporting');
    p.events.failNext(0);

    // Done: the running list empties and the task table shows the outcome without a click.
    await t.page.locator('#running-empty').waitFor({ state: 'visible', timeout: 15_000 });
    await t.page.locator('#tasks-table tbody tr', { hasText: 't-slow' }).getByText('250').waitFor();
    expect(offLoopback(t.requested)).toEqual([]);
  });

  test('when a task failed because X refused the job tokens, then the task table says to sign in again beside the error', async () => {
    p.x.addPosts(posts(3));
    p.x.injectFaults(TIMELINE, [{ status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } }]);
    await p.requestTask('t-refused', START, END);
    await until(async () => (await p.c.store.getTaskRun('job-1', 't-refused'))?.reported);

    t = await openContext(browser);
    await signIn(t.page);
    const row = t.page.locator('#tasks-table tbody tr', { hasText: 't-refused' });
    await row.locator('.task-error').getByText(/X refused the credentials \(HTTP 401\)/).waitFor();
    await expect(row.locator('.task-advice').textContent()).resolves.toMatch(/^Sign in to X again: .*Login with Twitter/);
    await screenshot(t.page, 'status-failed-task-advice');
  });

  test('when the only worker stopped, then the page says in red that no worker runs, and lists it as stopped', async () => {
    await until(async () => (await p.c.store.listHeartbeats()).length > 0);
    await worker.stop();
    await p.requestTask('t-waiting', START, END);

    t = await openContext(browser);
    await signIn(t.page);
    const alert = t.page.locator('#workers-alert');
    await alert.getByText(/^No worker has run for (less than a minute|\d+ minutes?): download requests wait in the queue/).waitFor();
    expect(await alert.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(164, 38, 44)');
    await expect(t.page.locator('#workers-queue').textContent()).resolves.toMatch(/^Queue: 1 task; the oldest was queued \d+ s ago/);
    await t.page.locator('#workers-table tbody tr').getByText('Stopped').waitFor();
    await screenshot(t.page, 'status-no-worker');
  });
});
