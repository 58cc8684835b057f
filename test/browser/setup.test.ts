import type { Browser, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { API_SECRET_KEY, basicAuth, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, X_APP } from '../helpers/signIn';

const SUCCESS = 'Twitter Connector Job Successfully set up.';

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
  await configure(c);
});
afterEach(async () => {
  await t?.context.close();
  await c.close();
  await x.close();
});

/**
 * The compliance center opens the setup page in a popup, with jobId and tenantId (here the opener is
 * the connector's home page); the admin pastes the APISecretKey and logs in.
 */
async function openSetup(jobId: string, secret = API_SECRET_KEY): Promise<Page> {
  await t.page.goto(`${c.url}/`);
  const url = `${c.url}/preview/OnJobCreating?jobId=${encodeURIComponent(jobId)}&tenantId=${TENANT_ID}`;
  const [page] = await Promise.all([
    t.page.waitForEvent('popup'),
    t.page.evaluate((u) => void window.open(u, 'ConnectorSetup', 'width=900,height=800'), url),
  ]);
  await page.setViewportSize({ width: 900, height: 800 });
  await page.getByLabel('APISecretKey').fill(secret);
  await page.getByRole('button', { name: 'Login web app' }).click();
  return page;
}

/** Clicks "Login with Twitter" and returns the X sign-in popup once it shows X's authorize page. */
async function openXPopup(page: Page): Promise<Page> {
  await page.getByRole('button', { name: 'Login with Twitter' }).waitFor();
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Login with Twitter' }).click()]);
  await popup.getByRole('button', { name: 'Authorize app' }).waitFor();
  return popup;
}

const isTargetClosed = (err: unknown): boolean =>
  (err as Error)?.name === 'TargetClosedError' || /Target page, context or browser has been closed/.test(String((err as Error)?.message));

/**
 * Clicks what closes its own page (Close window, Continue, or Authorize app, whose callback page
 * closes itself) and waits for the page's close event, never on the page itself: Playwright may
 * report such a click as failed with "Target page, context or browser has been closed", which
 * here is the outcome expected. Any other failure of the click still fails the test.
 */
async function clickClosing(page: Page, target: Locator): Promise<void> {
  const closed = page.waitForEvent('close');
  try {
    await target.click({ noWaitAfter: true });
  } catch (err) {
    if (!isTargetClosed(err)) {
      closed.catch(() => undefined);
      throw err;
    }
  }
  await closed;
}

async function isCreated(jobId: string): Promise<boolean> {
  const res = await request(c.url).get('/job/IsCreated').query({ jobId }).set('Authorization', basicAuth()).expect(200);
  return (res.body as { IsJobCreated: boolean }).IsJobCreated;
}

describe('job setup page in a browser, through the X sign-in popup', () => {
  test('when the admin logs in and authorizes the app on X, then the job is set up and Continue closes the page', async () => {
    t = await openContext(browser);
    const page = await openSetup('job-1');
    await screenshot(page, 'setup-login-with-twitter');
    const popup = await openXPopup(page);
    // The popup went through our page to the (fake) X authorize page, which names the account's app.
    expect(popup.url().startsWith(`${x.url}/oauth/authenticate?oauth_token=`)).toBe(true);
    await screenshot(popup, 'setup-x-authorize-popup');

    // The callback page says "Closing window..." and closes itself.
    await clickClosing(popup, popup.getByRole('button', { name: 'Authorize app' }));
    await page.getByText(SUCCESS).waitFor();
    // Focus moves to Continue, whose description is the outcome, so a screen reader announces both.
    const described = await page.getByRole('button', { name: 'Continue' }).evaluate((b) => ({
      focused: b === document.activeElement,
      description: document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent,
    }));
    expect(described).toEqual({ focused: true, description: SUCCESS });
    await screenshot(page, 'setup-success');

    expect(await isCreated('job-1')).toBe(true);
    expect(await c.store.getJob('job-1')).toMatchObject({ accountId: ACCOUNT.id, accountName: ACCOUNT.name, saved: true, tenantId: TENANT_ID });

    await clickClosing(page, page.getByRole('button', { name: 'Continue' }));
    expect(t.errors).toEqual([]);
    expect(offLoopback(t.requested)).toEqual([]);
  });

  test('when the admin cancels on X, then both windows say so, nothing is stored, and a second try succeeds', async () => {
    t = await openContext(browser);
    const page = await openSetup('job-1');
    const popup = await openXPopup(page);
    await popup.getByRole('link', { name: 'Cancel' }).click();

    const popupMessage = popup.getByRole('alert');
    await popupMessage.waitFor();
    expect(await popupMessage.textContent()).toContain('Sign-in to X was cancelled, so nothing was stored.');
    await screenshot(popup, 'setup-denied-popup');
    const pageMessage = page.getByRole('alert').filter({ hasText: 'Sign-in to X was cancelled' });
    await pageMessage.waitFor();
    expect(await pageMessage.textContent()).toContain('Click "Login with Twitter" to try again.');
    await screenshot(page, 'setup-denied');
    expect(await c.store.getJob('job-1')).toBeUndefined();
    expect(await page.getByText(SUCCESS).isVisible()).toBe(false);

    // "Close window" on the popup, then the admin tries again and authorizes this time.
    await clickClosing(popup, popup.getByRole('button', { name: 'Close window' }));
    const again = await openXPopup(page);
    await clickClosing(again, again.getByRole('button', { name: 'Authorize app' }));
    await page.getByText(SUCCESS).waitFor();
    expect(await isCreated('job-1')).toBe(true);
  });

  test('when a second job is set up for the same account, then both jobs exist and archive that account', async () => {
    await signInJob(c, x, 'job-1'); // the first job, set up earlier
    t = await openContext(browser);
    const page = await openSetup('job-2');
    const popup = await openXPopup(page);
    await clickClosing(popup, popup.getByRole('button', { name: 'Authorize app' }));
    await page.getByText(SUCCESS).waitFor();
    expect(await isCreated('job-1')).toBe(true);
    expect(await isCreated('job-2')).toBe(true);
    expect((await c.store.getJob('job-2'))?.accountId).toBe(ACCOUNT.id);
    expect((await c.store.jobsForAccount(ACCOUNT.id)).sort()).toEqual(['job-1', 'job-2']);
  });

  test('when the APISecretKey is wrong, then the page says which value to use and does not offer the X sign-in', async () => {
    t = await openContext(browser);
    const page = await openSetup('job-1', 'wrong-secret');
    const alert = page.getByRole('alert').filter({ hasText: 'not right' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('API_SECRET_KEY');
    expect(await page.getByRole('button', { name: 'Login with Twitter' }).isVisible()).toBe(false);
    expect(x.requests.some((r) => r.path === '/oauth/request_token')).toBe(false);
  });

  test('when X drops the connection as the admin logs in, then the page says X could not be reached and to try again, and the next try works', async () => {
    x.injectFaults(/^\/oauth\/request_token$/, [{ kind: 'drop' }]);
    t = await openContext(browser);
    const page = await openSetup('job-1');
    const alert = page.getByRole('alert').filter({ hasText: 'X could not be reached' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'Requesting an X sign-in token: X could not be reached (the connection was closed before an answer). Try again in a moment.',
    );
    expect(await page.getByRole('button', { name: 'Login with Twitter' }).isVisible()).toBe(false);
    await screenshot(page, 'setup-x-unreachable');
    // The admin clicks Login web app again (the APISecretKey is still in the field); X answers now.
    await page.getByRole('button', { name: 'Login web app' }).click();
    const popup = await openXPopup(page);
    await clickClosing(popup, popup.getByRole('button', { name: 'Authorize app' }));
    await page.getByText(SUCCESS).waitFor();
    expect(await isCreated('job-1')).toBe(true);
  });

  test('when the X app does not list this callback URL, then the page says which URL to register', async () => {
    await x.close();
    x = await startFakeX({ ...X_APP, callbackUrls: ['https://elsewhere.example/Views/TwitterOAuth'] });
    await c.close();
    c = await startConnector({ env: { X_API_BASE_URL: x.url } });
    await configure(c);
    t = await openContext(browser);
    const page = await openSetup('job-1');
    const alert = page.getByRole('alert').filter({ hasText: 'callback URL' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`${c.url}/Views/TwitterOAuth`);
    await screenshot(page, 'setup-callback-not-registered');
  });

  test('when an existing job is signed in again and the admin closes the X window without authorizing, then the page says it did not complete', async () => {
    await signInJob(c, x, 'job-again');
    t = await openContext(browser);
    const page = await openSetup('job-again');
    const popup = await openXPopup(page);
    await popup.close();
    await page.getByText('Sign-in to X did not complete').waitFor();
    expect(await page.getByText(SUCCESS).count()).toBe(0);
    await page.getByRole('button', { name: 'Login with Twitter' }).waitFor();
  });
});
