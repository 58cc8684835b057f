import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { account, archiveDate, manifest, snowflake, writeArchive, ytd } from '../fakes/xArchive';
import { API_SECRET_KEY, basicAuth, TENANT_ID } from '../helpers/connector';
import { launchBrowser, offLoopback, openContext, screenshot, type TrackedContext } from '../helpers/browser';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT } from '../helpers/signIn';

/** The status page's "Import X archive", in Chromium: the upload, its progress, what was found, the list of imports. */
let browser: Browser;
let p: Pipeline;
let t: TrackedContext;
let dir: string;
const POSTS = ['2019-03-01T10:00:00.000Z', '2019-03-02T10:00:00.000Z'].map((at, i) => ({
  tweet: {
    id_str: snowflake(at),
    id: snowflake(at),
    created_at: archiveDate(at),
    full_text: `Archived post ${i}`,
    favorite_count: '1',
    retweet_count: '0',
    entities: { urls: [], user_mentions: [] },
    ...(i === 0 ? { extended_entities: { media: [{ id_str: '901', media_url_https: 'https://pbs.twimg.com/media/Photo.jpg', type: 'photo' }] } } : {}),
  },
}));

function files(accountId: string) {
  return {
    'data/manifest.js': manifest(accountId, 'contoso'),
    'data/account.js': account(accountId, 'contoso'),
    'data/tweets.js': ytd('tweets', 0, POSTS),
    'data/direct-messages.js': ytd('direct_messages', 0, [
      { dmConversation: { conversationId: `42-${accountId}`, messages: [{ messageCreate: { recipientId: '42', senderId: accountId, id: snowflake('2019-03-01T12:00:00.000Z'), text: 'Hello', mediaUrls: [], urls: [], createdAt: '2019-03-01T12:00:00.000Z' } }] } },
    ]),
    [`data/tweets_media/${POSTS[0]!.tweet.id_str}-Photo.jpg`]: Buffer.from('jpeg bytes'),
  };
}

beforeAll(async () => {
  browser = await launchBrowser();
  p = await startPipeline();
  dir = mkdtempSync(join(tmpdir(), 'xarchive-ui-'));
  await writeArchive(join(dir, 'twitter-2026-11-01-contoso.zip'), files(ACCOUNT.id));
  await writeArchive(join(dir, 'someone-else.zip'), files('1888888888888888888'));
});
afterAll(async () => {
  await t?.context.close();
  await p.close();
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

const incoming = () => readdirSync(join(p.c.dataDir, 'imports', 'incoming'));

test('when the body is not an X archive or names no job, then POST /api/imports answers 400 with a message, and nothing stays on disk', async () => {
  const notZip = await request(p.c.url).post('/api/imports?jobId=job-1&fileName=notes.zip').set('Authorization', basicAuth()).set('Content-Type', 'application/zip').send(Buffer.from('plain text'));
  expect(notZip.status).toBe(400);
  expect(notZip.body.Message).toMatch(/notes\.zip is not an X archive/);
  const noJob = await request(p.c.url).post('/api/imports?jobId=nope&fileName=a.zip').set('Authorization', basicAuth()).set('Content-Type', 'application/zip').send(Buffer.from('x'));
  expect([noJob.status, noJob.body.Message]).toEqual([400, 'There is no job nope']);
  expect(incoming()).toEqual([]);
  expect(await p.c.store.listImports()).toEqual([]);
  const unauthorized = await request(p.c.url).get('/api/imports');
  expect(unauthorized.status).toBe(401);
});

test('when the admin uploads the account\'s archive, then a progress bar runs to the end, what it held is shown and the import is listed; another account\'s is refused naming both', async () => {
  t = await openContext(browser);
  const page = t.page;
  await page.goto(`${p.c.url}/status`);
  await page.getByLabel('Tenant Id').fill(TENANT_ID);
  await page.getByLabel('APISecretKey').fill(API_SECRET_KEY);
  await page.getByRole('button', { name: 'Show status' }).click();
  await page.getByRole('heading', { name: 'Imported X archives' }).waitFor();
  await page.locator('#import-job option[value="job-1"]').waitFor({ state: 'attached' });
  await page.locator('#imports-empty:not([hidden])').waitFor();

  await page.getByLabel('X archive (.zip)').setInputFiles(join(dir, 'someone-else.zip'));
  await page.getByRole('button', { name: 'Import X archive' }).click();
  const refused = page.locator('#import-error');
  await refused.filter({ hasText: 'someone-else.zip is the archive of X account 1888888888888888888' }).waitFor();
  expect(await refused.textContent()).toContain(`signed in as X account ${ACCOUNT.id}`);

  await page.getByLabel('X archive (.zip)').setInputFiles(join(dir, 'twitter-2026-11-01-contoso.zip'));
  await page.getByRole('button', { name: 'Import X archive' }).click();
  await page.locator('#import-message', { hasText: 'found 2 posts, 1 DMs and 1 media files; added 2 posts and 1 DMs (1 media files used)' }).waitFor();
  expect(await page.locator('#import-error').textContent()).toBe('');
  expect(await page.locator('#import-progress').evaluate((e) => (e as HTMLProgressElement).value)).toBe(100);
  expect(await page.locator('#import-progress-label').textContent()).toBe('Done');
  const row = page.locator('#imports-table tbody tr');
  await row.first().waitFor();
  expect(await row.count()).toBe(1);
  expect(await row.first().locator('th, td').allTextContents()).toEqual(['twitter-2026-11-01-contoso.zip', 'job-1', `${ACCOUNT.id} (@contoso)`, '2 / 2', '1 / 1', '1 / 1', expect.stringMatching(/^\d+\.\d s$/), 'done']);
  await screenshot(page, 'status-import-archive');
  expect(await p.c.store.listImportedRecords('job-1', { from: '2019-01-01T00:00:00.000Z', to: '2019-12-31T23:59:59.999Z', limit: 10 })).toHaveLength(3);
  expect(incoming()).toEqual([]);

  // The same zip again: checked and read, nothing added; the list shows each zip's latest run.
  await page.getByLabel('X archive (.zip)').setInputFiles(join(dir, 'twitter-2026-11-01-contoso.zip'));
  await page.getByRole('button', { name: 'Import X archive' }).click();
  await page.locator('#import-message', { hasText: 'added 0 posts and 0 DMs' }).waitFor();
  await page.locator('#imports-table tbody tr td', { hasText: '2 / 0' }).waitFor();
  expect(await row.count()).toBe(1);
  expect(offLoopback(t.requested)).toEqual([]);
});
