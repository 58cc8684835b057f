import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { lastDays } from '../../src/status/gather';
import type { TaskRun } from '../../src/store/types';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { API_SECRET_KEY, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import {
  contrastProblems,
  focusRing,
  horizontalOverflow,
  launchBrowser,
  offLoopback,
  openContext,
  screenshot,
  type TrackedContext,
} from '../helpers/browser';
import { msalNetworkClientFor, startFakeAad, type FakeAad } from '../fakes/aad';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, SIX_SETTINGS, X_APP } from '../helpers/signIn';

/** A small cap, so a few seeded items make visible bars and one day goes over it. */
const CAP = 1000;

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
let aad: FakeAad;
beforeEach(async () => {
  x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  // The app owner's access token pair of the six settings, which the Settings card checks with X.
  x.addUser({ id: '1500000000000000077', name: 'App Owner', username: 'contoso_dev' }, { accessToken: SIX_SETTINGS.TwitterAccessTokenValue, accessSecret: SIX_SETTINGS.TwitterAccessTokenSecretValue });
  aad = await startFakeAad({ clientSecret: SIX_SETTINGS.AADAppSecretValue });
  c = await startConnector({ env: { X_API_BASE_URL: x.url, AAD_AUTHORITY_HOST: aad.url, DAILY_ITEM_CAP: String(CAP) }, networkClient: msalNetworkClientFor(aad) });
});
afterEach(async () => {
  await t?.context.close();
  await c.close();
  await x.close();
  await aad.close();
});

function run(taskId: string, day: string, over: Partial<TaskRun> = {}): TaskRun {
  return {
    jobId: 'job-1',
    taskId,
    windowStart: `${day}T00:00:00.000Z`,
    windowEnd: `${day}T23:59:59.999Z`,
    status: 'success',
    items: 0,
    attachmentsSkipped: 0,
    daysOverCap: [],
    startedAt: `${day}T23:59:59.999Z`,
    finishedAt: `${day}T23:59:59.999Z`,
    durationMs: 4200,
    error: null,
    reported: true,
    ...over,
  };
}

/**
 * What the worker would have left behind (it is not part of these tests): a configured connector,
 * job-1 set up through the real sign-in, items counted on three days, one of them refused over
 * the cap, and four task runs — the newest still queued.
 */
async function seed(): Promise<string[]> {
  await configure(c);
  await signInJob(c, x, 'job-1');
  const days = lastDays(new Date());
  const [d20, d27, d28] = [days[20]!, days[27]!, days[28]!];
  await c.store.reserveDays('job-1', 'task-1', new Map([[d20, 400], [d27, 900]]), CAP);
  await c.store.reserveDays('job-1', 'task-2', new Map([[d27, 300], [d28, 50]]), CAP);
  await c.store.advanceSinceId('job-1', '1800000000000000042');
  await c.store.recordTaskRun(run('task-1', d27, { items: 1300, attachmentsSkipped: 2 }));
  await c.store.recordTaskRun(
    run('task-0', d20, { status: 'temporary_failure', error: 'X answered HTTP 503 five times; Microsoft 365 will retry the task', durationMs: 61_000 }),
  );
  await c.store.recordTaskRun(
    run('task-2', d28, { items: 50, daysOverCap: [d27], error: `${d27}: 300 items refused, the day would reach 1,200 items (cap 1,000)` }),
  );
  await c.store.recordTaskRun(run('task-3', days[29]!, { status: 'queued', startedAt: null, finishedAt: null, durationMs: null, reported: false }));
  return days;
}

async function signIn(page: Page, secret = API_SECRET_KEY): Promise<void> {
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(secret);
  await page.getByRole('button', { name: 'Show status' }).click();
}

/** A health card, found by its heading as a person scans for it. */
function card(page: Page, heading: string) {
  return page.locator('.health > div').filter({ has: page.getByRole('heading', { name: heading, exact: true }) });
}

/** X reachable's calls: users/me with the job's tokens (the Settings card checks the app owner's pair apart). */
const meCalls = (): number => x.requests.filter((r) => r.path === '/2/users/me' && r.oauth?.['oauth_token'] === ACCOUNT_TOKENS.accessToken).length;

describe('status page in a browser', () => {
  test('when the admin signs in, then health, jobs, the daily chart with the day over the cap, and the tasks are shown', async () => {
    const days = await seed();
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await signIn(page);

    await card(page, 'Settings').getByText('X and Entra accept all six settings.').waitFor();
    expect(await card(page, 'Settings').locator('.badge').textContent()).toBe('OK');
    expect(await card(page, 'X reachable').textContent()).toContain('X answered for @contoso with the tokens of job job-1.');
    expect(await card(page, 'Last report accepted').textContent()).toContain('The Event API accepted the report of task task-2 (job job-1).');

    const jobRow = page.getByRole('row', { name: /job-1 Contoso News \(@contoso\)/ });
    expect(await jobRow.textContent()).toContain('1800000000000000042');
    expect(await jobRow.getByText('OK', { exact: true }).count()).toBe(1);
    expect(await jobRow.textContent()).toContain('Queued task-3');

    const chart = page.getByRole('img', { name: /Items per UTC day for job job-1 \(@contoso\), last 30 days/ });
    await chart.waitFor();
    expect(await chart.locator('g[data-day]').count()).toBe(30);
    expect(await chart.locator('g[data-over-cap="true"]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-day')))).toEqual([days[27]]);
    expect(await chart.locator(`g[data-day="${days[20]}"]`).getAttribute('data-items')).toBe('400');
    // Colour is not the only cue: the caption says it in words.
    expect(await page.getByText(`Over the daily cap on ${days[27]}`).isVisible()).toBe(true);
    await screenshot(page, 'status-dashboard');
    // The same numbers as a table, behind a disclosure a keyboard can open.
    await page.getByText('Show the days of job job-1 as a table').click();
    expect(await page.getByRole('row', { name: `${days[27]} 900 300 Yes` }).isVisible()).toBe(true);

    const tasks = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Attachments skipped' }) });
    expect(await tasks.getByRole('row').count()).toBe(5); // header + 4 runs, newest first
    const firstRow = tasks.getByRole('row').nth(1);
    expect(await firstRow.textContent()).toContain('job-1 / task-3');
    expect(await tasks.getByRole('row', { name: /task-0/ }).textContent()).toMatch(/Temporary failure.*1 min 1 s.*X answered HTTP 503/);
    expect(await tasks.getByRole('row', { name: /task-1 / }).textContent()).toMatch(/1,300\s*2\s*Success\s*4.2 s/);

    // Rendering the server's SVG must not trip the CSP (no inline style or script anywhere).
    expect(t.errors).toEqual([]);
    expect(offLoopback(t.requested)).toEqual([]);
  });

  test('when X refuses the stored tokens, then X reachable says what to do, and a refresh within a minute does not ask X again', async () => {
    await seed();
    x.revoke(ACCOUNT_TOKENS.accessToken);
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    const before = meCalls();
    await signIn(page);
    const xCard = card(page, 'X reachable');
    await xCard.getByText('Needs attention').waitFor();
    expect(await xCard.textContent()).toContain('X refused the credentials (HTTP 401)');
    expect(await xCard.textContent()).toContain('sign in to X again for job job-1');
    expect(await xCard.textContent()).toContain(`callback URL must be ${c.url}/Views/TwitterOAuth`);
    expect(meCalls()).toBe(before + 1);
    await screenshot(page, 'status-x-refused');

    const [refreshed] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/status'),
      page.getByRole('button', { name: 'Refresh' }).click(),
    ]);
    expect(refreshed.status()).toBe(200);
    await page.getByText(/^Updated /).waitFor();
    expect(meCalls()).toBe(before + 1);
  });

  test('when nothing is configured yet, then each health card says what to do next', async () => {
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await signIn(page);
    const settings = card(page, 'Settings');
    await settings.getByText('Missing settings:').waitFor();
    expect(await settings.textContent()).toContain(
      'Twitter Api Key, Twitter Api Secret Key, Twitter Access Token, Twitter Access Token Secret, AAD Application ID, AAD Application Secret',
    );
    expect(await settings.getByRole('link', { name: 'Open the Configure page' }).getAttribute('href')).toBe('/Configure');
    expect(await card(page, 'X reachable').textContent()).toContain('X cannot be checked until the Twitter Api Key');
    expect(await card(page, 'Last report accepted').textContent()).toContain('No task has finished yet.');
    expect(await page.getByText('No job yet. Add the connector in the Microsoft 365 compliance center').isVisible()).toBe(true);
    expect(meCalls()).toBe(0);
    await screenshot(page, 'status-not-configured');
  });

  test('when the APISecretKey is wrong, then the page says which values to use and the API answers 401', async () => {
    await seed();
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await signIn(page, 'wrong-secret');
    const alert = page.getByRole('alert').filter({ hasText: 'not right' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('TENANT_ID and API_SECRET_KEY');
    expect(await page.getByRole('heading', { name: 'Health' }).isVisible()).toBe(false);

    const res = await request(c.url).get('/api/status').expect(401);
    expect(JSON.stringify(res.body)).not.toContain('contoso');
  });

  test('when used by keyboard on a narrow screen, then it signs in, refreshes, stays readable and never scrolls sideways', async () => {
    await seed();
    t = await openContext(browser, { viewport: { width: 360, height: 740 } });
    const { page } = t;
    await page.goto(`${c.url}/status`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(TENANT_ID);
    await page.keyboard.press('Tab');
    await page.keyboard.type(API_SECRET_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Health' }).waitFor();
    // Focus lands on the results, so a screen reader starts reading where they begin.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('health-heading');

    await page.keyboard.down('Shift');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab'); // back past Sign out and Configure to Refresh
    await page.keyboard.up('Shift');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Refresh');
    const ring = await focusRing(page);
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(ring.color).toBe('rgb(27, 27, 27)');
    const [refreshed] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/status'),
      page.keyboard.press('Enter'),
    ]);
    expect(refreshed.status()).toBe(200);
    await page.getByText(/^Updated /).waitFor();
    expect(await page.getByText(/^Updated /).textContent()).toMatch(/^Updated \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    // Still on the button: a keyboard user can refresh again without hunting for it.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Refresh');

    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await contrastProblems(page)).toEqual([]);
    await screenshot(page, 'status-narrow');
  });
});
