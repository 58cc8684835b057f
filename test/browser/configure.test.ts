import type { Browser } from 'playwright-core';
import { API_SECRET_KEY, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { contrastProblems, focusRing, horizontalOverflow, launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { msalNetworkClientFor, startFakeAad } from '../fakes/aad';
import { startFakeX } from '../fakes/xServer';
import { configure, SIX_SETTINGS, X_APP } from '../helpers/signIn';

const LABELS: Record<keyof typeof SIX_SETTINGS, string> = {
  TwitterApiKeyValue: 'Twitter Api Key',
  TwitterApiSecretKeyValue: 'Twitter Api Secret Key',
  TwitterAccessTokenValue: 'Twitter Access Token',
  TwitterAccessTokenSecretValue: 'Twitter Access Token Secret',
  AADAppIdValue: 'AAD Application ID',
  AADAppSecretValue: 'AAD Application Secret',
};

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
  c = await startConnector();
});
afterEach(async () => {
  await t?.context.close();
  await c.close();
});

async function signIn(secret = API_SECRET_KEY): Promise<void> {
  const { page } = t;
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(secret);
  await page.getByRole('button', { name: 'Set Configuration Settings' }).click();
}

describe('Configure page in a browser', () => {
  test('when the APISecretKey is wrong, then the page says which values to use and shows no settings', async () => {
    t = await openContext(browser);
    await t.page.goto(`${c.url}/Configure`);
    await signIn('not-the-secret');
    const alert = t.page.getByRole('alert').filter({ hasText: 'not right' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('TENANT_ID and API_SECRET_KEY');
    expect(await t.page.getByRole('heading', { name: 'Connector settings' }).isVisible()).toBe(false);
    await screenshot(t.page, 'configure-wrong-secret');
    expect(t.errors.filter((e) => !e.includes('401'))).toEqual([]);
  });

  test('when the admin saves six settings, then they come back masked, and after a reload too', async () => {
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/Configure`);
    await signIn();
    const status = page.getByText('Missing settings:');
    await status.waitFor();
    // Before saving, the page names every missing setting and where to enter it.
    expect(await status.textContent()).toContain('Twitter Api Key, Twitter Api Secret Key');

    for (const [wire, label] of Object.entries(LABELS)) {
      await page.getByLabel(label, { exact: true }).fill(SIX_SETTINGS[wire as keyof typeof SIX_SETTINGS]);
    }
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Configuration Saved Successfully.').waitFor();
    await page.getByText('All six settings are saved. Use Test settings to check them with X and Entra.').waitFor();

    for (const [wire, label] of Object.entries(LABELS)) {
      const value = SIX_SETTINGS[wire as keyof typeof SIX_SETTINGS];
      const input = page.getByLabel(label, { exact: true });
      // The field is emptied; the saved value is shown once, only as a mask with its last 4 characters.
      expect(await input.inputValue()).toBe('');
      expect(await input.getAttribute('placeholder')).toBe('');
      expect(await page.locator(`#${wire}-saved`).textContent()).toBe(`Saved: ********${value.slice(-4)}`);
      expect(await page.getByText(`********${value.slice(-4)}`).count()).toBe(1);
    }
    expect(await page.content()).not.toContain(SIX_SETTINGS.AADAppSecretValue);
    await screenshot(page, 'configure-saved');

    // A reload forgets the credentials (they lived in memory only) but the store kept the settings.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn();
    await page.getByText('All six settings are saved. Use Test settings to check them with X and Entra.').waitFor();
    expect(await page.locator('#AADAppSecretValue-saved').textContent()).toBe(`Saved: ********${SIX_SETTINGS.AADAppSecretValue.slice(-4)}`);
    expect((await c.store.getSettings()).AADAppSecret).toBe(SIX_SETTINGS.AADAppSecretValue);
    expect(t.errors).toEqual([]);
    expect(offLoopback(t.requested)).toEqual([]);
  });

  test('when an invalid AAD Application ID is saved, then the message says what it must look like and nothing is stored', async () => {
    t = await openContext(browser);
    const { page } = t;
    await page.goto(`${c.url}/Configure`);
    await signIn();
    await page.getByLabel('AAD Application ID', { exact: true }).fill('not-a-guid');
    await page.getByRole('button', { name: 'Save' }).click();
    const message = page.getByText('the AAD Application ID is a GUID');
    await message.waitFor();
    expect(await message.textContent()).toContain('00000000-0000-0000-0000-000000000000');
    expect(await c.store.getSettings()).toEqual({});
  });

  test('when the admin tests the settings, then each pair says what X or Entra answered, a wrong one is named with where to get it, and Sign out forgets the credentials', async () => {
    const x = await startFakeX({ ...X_APP });
    const aad = await startFakeAad({ clientSecret: SIX_SETTINGS.AADAppSecretValue });
    const tested = await startConnector({ env: { X_API_BASE_URL: x.url, AAD_AUTHORITY_HOST: aad.url }, networkClient: msalNetworkClientFor(aad) });
    try {
      x.addUser({ id: '1500000000000000077', name: 'App Owner', username: 'contoso_dev' }, { accessToken: SIX_SETTINGS.TwitterAccessTokenValue, accessSecret: SIX_SETTINGS.TwitterAccessTokenSecretValue });
      await configure(tested, { ...SIX_SETTINGS, AADAppSecretValue: 'an-expired-or-wrong-secret' });
      t = await openContext(browser);
      const { page } = t;
      await page.goto(`${tested.url}/Configure`);
      await signIn();
      // Each field says where its value comes from.
      expect(await page.locator('#AADAppSecretValue-from').textContent()).toContain('Entra admin center → App registrations → the app → Certificates & secrets');
      await page.getByRole('button', { name: 'Test settings' }).click();
      const results = page.locator('#test-results li');
      await results.nth(2).filter({ hasText: 'AAD Application ID and AAD Application Secret: refused.' }).waitFor();
      expect(await results.nth(0).textContent()).toContain('Twitter Api Key and Twitter Api Secret Key: accepted.');
      expect(await results.nth(1).textContent()).toContain('(it belongs to @contoso_dev)');
      expect(await results.nth(2).textContent()).toContain('AADSTS7000215');
      expect(await page.content()).not.toContain('an-expired-or-wrong-secret');
      await screenshot(page, 'configure-test-settings');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Connector settings' }).isVisible()).toBe(false);
      expect(offLoopback(t.requested)).toEqual([]);
    } finally {
      await tested.close();
      await Promise.all([x.close(), aad.close()]);
    }
  });

  test('when used by keyboard on a narrow screen, then every step is reachable, focus is visible and text is readable', async () => {
    t = await openContext(browser, { viewport: { width: 360, height: 740 } });
    const { page } = t;
    await page.goto(`${c.url}/Configure`);
    // Tab order: Tenant Id, APISecretKey, then the button; Enter submits.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tenant-id');
    const ring = await focusRing(page);
    expect(ring.style).not.toBe('none');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.type(TENANT_ID);
    await page.keyboard.press('Tab');
    await page.keyboard.type(API_SECRET_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connector settings' }).waitFor();
    // Focus moves to the first setting, so a keyboard user continues where the work is.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('TwitterApiKeyValue');
    await page.keyboard.type(SIX_SETTINGS.TwitterApiKeyValue);
    for (let i = 0; i < 9; i++) await page.keyboard.press('Tab'); // five more fields, the two archive options, "Back to Home Page", Save
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Save');
    await page.keyboard.press('Enter');
    await page.getByText('Configuration Saved Successfully.').waitFor();
    expect((await c.store.getSettings()).TwitterApiKey).toBe(SIX_SETTINGS.TwitterApiKeyValue);

    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await contrastProblems(page)).toEqual([]);
    await screenshot(page, 'configure-narrow');
  });
});
