import request from 'supertest';
import { verifyAuditChain } from '../../src/audit/verifyChain';
import type { AuditEntry } from '../../src/store/types';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { API_SECRET_KEY, basicAuth, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, SIX_SETTINGS, X_APP } from '../helpers/signIn';

const auth = basicAuth();
const SAS_SIG = 'SASsig0123456789secret';
const SAS = `https://contosoarchive.blob.core.windows.net/import?sv=2023-11-03&sr=c&sp=racwl&sig=${SAS_SIG}`;

let c: TestConnector;
let x: FakeX;

beforeEach(async () => {
  x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  c = await startConnector({ env: { X_API_BASE_URL: x.url }, authFailureLimit: 3 });
});
afterEach(async () => {
  await c.close();
  await x.close();
});

/** GET /api/audit as JSON lines, parsed; the raw text too, to look for secrets in it. */
async function auditLines(query: Record<string, string> = {}): Promise<{ entries: AuditEntry[]; text: string }> {
  const res = await request(c.url).get('/api/audit').query(query).set('Authorization', auth).buffer(true).parse((r, done) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => (text += chunk));
    r.on('end', () => done(null, text));
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
  const text = res.body as string;
  return { entries: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry), text };
}

const kinds = (entries: AuditEntry[]) => entries.map((e) => e.kind);

describe('what the audit log records from the API', () => {
  test('when the admin configures, sets up and signs a job in again, and the Import service queues, remediates and deletes it, then each is an entry, oldest first, with key names and no secret', async () => {
    await configure(c);
    // The mask of a stored value and an unchanged value are not changes; a new AAD secret is.
    const masked = (await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200)).body as Record<string, string>;
    await request(c.url)
      .post('/api/Configuration')
      .set('Authorization', auth)
      .send({ TwitterApiKeyValue: masked['TwitterApiKeyValue'], AADAppIdValue: SIX_SETTINGS.AADAppIdValue, AADAppSecretValue: 'a-new-aad-secret-FFFF-0007' })
      .expect(200);
    await signInJob(c, x, 'job-1');
    await signInJob(c, x, 'job-1');
    await request(c.url)
      .post('/data/OnDownloadRequest')
      .set('Authorization', auth)
      .send({ JobId: 'job-1', TaskId: 'task-1', StartTime: '2026-11-01T00:00:00Z', EndTime: '2026-11-02T00:00:00Z', DirtyEntities: ['1', '2'], BlobSasUri: SAS })
      .expect(200);
    await request(c.url).get('/job/OnRemediation').query({ jobId: 'job-1', remediationType: 'Relogin' }).set('Authorization', auth).expect(200);
    await request(c.url).delete('/job/OnDeleted').query({ jobId: 'job-1' }).set('Authorization', auth).expect(200);

    const { entries, text } = await auditLines();
    expect(kinds(entries)).toEqual([
      'settings.saved',
      'settings.saved',
      'job.authorized',
      'job.setup',
      'job.reauthorized',
      'job.setup',
      'task.queued',
      'job.remediation',
      'job.deleted',
    ]);
    const by = { principal: 'basic', address: '127.0.0.1' };
    expect(entries[0]!.details).toEqual({
      changed: ['TwitterApiKey', 'TwitterApiSecretKey', 'TwitterAccessToken', 'TwitterAccessTokenSecret', 'AADAppId', 'AADAppSecret'],
      by,
    });
    expect(entries[1]!.details).toEqual({ changed: ['AADAppSecret'], by });
    expect(entries[2]!.details).toEqual({ jobId: 'job-1', accountId: ACCOUNT.id, accountUsername: ACCOUNT.username, by: { principal: 'none', address: '127.0.0.1' } });
    expect(entries[3]!.details).toEqual({ jobId: 'job-1', tenantId: TENANT_ID, accountId: ACCOUNT.id, accountName: ACCOUNT.name, by });
    expect(entries[4]!.details).toMatchObject({ jobId: 'job-1', previousAccountId: ACCOUNT.id });
    expect(entries[6]!.details).toEqual({
      jobId: 'job-1',
      taskId: 'task-1',
      windowStart: '2026-11-01T00:00:00.000Z',
      windowEnd: '2026-11-02T00:00:00.000Z',
      dirtyEntities: 2,
      by,
    });
    expect(entries[7]!.details).toMatchObject({ jobId: 'job-1', remediationType: 'relogin' });
    expect(entries[8]!.details).toMatchObject({ jobId: 'job-1' });

    // The lines are the entries as stored: their chain checks out against the store's head.
    expect(await verifyAuditChain(entries, { head: await c.store.auditHead() })).toMatchObject({ ok: true, entries: 9 });
    const secrets = [...Object.values(SIX_SETTINGS).filter((v) => v !== SIX_SETTINGS.AADAppIdValue), 'a-new-aad-secret-FFFF-0007', ACCOUNT_TOKENS.accessToken, ACCOUNT_TOKENS.accessSecret, API_SECRET_KEY, SAS_SIG];
    expect(text).toContain('AADAppSecret'); // key names are there, so the check below can fail
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  test('when requests fail sign-in, then nothing is written per request, and one summary per address is written once the window has passed', async () => {
    // Two failures (the limit here is 3): a wrong secret and no credentials at all.
    await request(c.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, 'guess-0')).expect(401);
    await request(c.url).get('/setup/Validate').expect(401);
    expect(await c.store.listAudit()).toEqual([]);

    // The next failure after the window (the app's clock moved on 16 minutes) writes the last window's summary.
    c.clock.offsetMs = 16 * 60 * 1000;
    await request(c.url).get('/api/audit').set('Authorization', basicAuth(TENANT_ID, 'late')).expect(401);
    const [summary, ...rest] = await c.store.listAudit({ order: 'oldest' });
    expect(rest).toEqual([]);
    expect(summary).toMatchObject({ kind: 'signin.failed', details: { address: '127.0.0.1', failures: 2, refused: 0 } });
    const { windowStart, windowEnd } = summary!.details as { windowStart: string; windowEnd: string };
    expect(Date.parse(windowEnd) - Date.parse(windowStart)).toBe(15 * 60 * 1000);
    expect(Date.parse(windowEnd)).toBeLessThanOrEqual(Date.now() + c.clock.offsetMs);
    expect(JSON.stringify(summary)).not.toContain('guess-');
  });

  test('when the limit starts refusing an address, then one lockout entry is written at once, not one per refusal', async () => {
    for (let i = 0; i < 3; i++) await request(c.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, `guess-${i}`)).expect(401);
    await request(c.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, 'again')).expect(429);
    await request(c.url).get('/setup/Validate').set('Authorization', auth).expect(429);
    const entries = await c.store.listAudit();
    expect(entries.map((e) => [e.kind, e.details['address']])).toEqual([['signin.lockout', '127.0.0.1']]);
  });
});

describe('GET /api/audit', () => {
  const at = ['2026-01-30T23:59:59.999Z', '2026-01-31T00:00:00.000Z', '2026-01-31T23:59:59.999Z', '2026-02-01T00:00:00.000Z'];
  async function seed(): Promise<void> {
    for (const t of at) await c.store.appendAudit({ kind: 'verify.run', at: t, details: { ok: true } });
  }

  test('when from and to are given, then only the entries of that period are returned; a bare date as to includes its whole day', async () => {
    await seed();
    expect((await auditLines({ from: '2026-01-31', to: '2026-01-31' })).entries.map((e) => e.seq)).toEqual([2, 3]);
    expect((await auditLines({ from: '2026-01-31T00:00:00.001Z' })).entries.map((e) => e.seq)).toEqual([3, 4]);
    expect((await auditLines({ to: '2026-01-31T01:00:00+01:00' })).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect((await auditLines()).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  test('when the log is longer than a page of the store, then every entry is streamed once, in order', async () => {
    for (let i = 0; i < 1234; i++) await c.store.appendAudit({ kind: 'task.queued', details: { i } });
    const { entries } = await auditLines();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1));
    expect(await verifyAuditChain(entries)).toMatchObject({ ok: true, entries: 1234 });
  });

  test.each([
    ['a date that does not exist', { from: '2026-02-30' }],
    ['a time without its zone', { from: '2026-01-31T10:00:00' }],
    ['words', { to: 'yesterday' }],
    ['an hour past 23', { to: '2026-01-31T24:00:00Z' }],
    ['from after to', { from: '2026-02-01', to: '2026-01-31' }],
  ])('when from/to is %s, then 400 with a JSON error', async (_name, query) => {
    const res = await request(c.url).get('/api/audit').query(query).set('Authorization', auth).expect(400);
    expect(res.body).toMatchObject({ Error: 'InvalidInput', Message: expect.stringMatching(/from|to/) });
  });

  test('when the caller is not signed in, then 401 and no entry', async () => {
    await seed();
    const res = await request(c.url).get('/api/audit').expect(401);
    expect(res.text).not.toContain('verify.run');
    await request(c.url).get('/api/audit/page').set('Authorization', basicAuth(TENANT_ID, 'wrong')).expect(401);
  });
});

describe('GET /api/audit/page (the status page)', () => {
  test('when the log is paged, then it comes newest first, 50 at a time, each page naming the seq to ask for older ones', async () => {
    for (let i = 1; i <= 120; i++) await c.store.appendAudit({ kind: 'task.queued', details: { i } });
    const page = async (query: Record<string, string>) =>
      (await request(c.url).get('/api/audit/page').query(query).set('Authorization', auth).expect(200)).body as { Entries: AuditEntry[]; Older: number | null };
    const first = await page({});
    expect(first.Entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 120 - i));
    expect(first.Older).toBe(71);
    const second = await page({ before: '71' });
    expect([second.Entries[0]!.seq, second.Entries.at(-1)!.seq, second.Older]).toEqual([70, 21, 21]);
    const last = await page({ before: '21' });
    expect([last.Entries.length, last.Entries.at(-1)!.seq, last.Older]).toEqual([20, 1, null]);
    expect((await page({ limit: '3' })).Entries.map((e) => e.seq)).toEqual([120, 119, 118]);
  });

  test.each([['before', '0'], ['before', 'abc'], ['limit', '1000'], ['limit', '-1']])('when %s is %s, then 400', async (name, value) => {
    const res = await request(c.url).get('/api/audit/page').query({ [name]: value }).set('Authorization', auth).expect(400);
    expect(res.body.Error).toBe('InvalidInput');
  });
});
