/**
 * One behaviour suite for the Store interface, run against every backend: SQLite (a real file
 * in a fresh temp dir per test) and Azure Tables + Queues on a private Azurite.
 */
import type { ArchiveImport, ImportedRecord } from '../../src/store/importTypes';
import { snowflake } from '../fakes/xArchive';
import { TableServiceClient, TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditHash, GENESIS_HASH } from '../../src/audit/hash';
import { verifyAuditChain } from '../../src/audit/verifyChain';
import { SecretBox, SecretBoxError } from '../../src/crypto/secretBox';
import { AzureStore } from '../../src/store/azure/azureStore';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import type { JobAuthorization, Store, TaskMessage, TaskRun, WorkerBeat } from '../../src/store/types';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';

/** Real time plus an offset the test can move forward, so timestamps differ without sleeping. */
class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

interface StoreHarness {
  store: Store;
  clock: TestClock;
  /** Another handle on the same data, as a second instance of the connector would hold. */
  openPeer(box?: SecretBox): Promise<Store>;
  /** Everything the backend keeps at rest, as text (bytes as latin1). */
  rawData(): Promise<string>;
  close(): Promise<void>;
}

const KEY = 'contract-test-key';

/** Polls until probe returns something; for waits whose length the backend decides (visibility timeouts). */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function task(jobId: string, taskId: string, extra: Partial<TaskMessage> = {}): TaskMessage {
  return {
    jobId,
    taskId,
    startTime: '2024-05-01T00:00:00.000Z',
    endTime: '2024-05-02T00:00:00.000Z',
    dirtyEntities: ['1790000000000000001'],
    blobSasUri: `https://acct.blob.core.windows.net/c?sv=2024&sig=${taskId}-SECRETSIG`,
    enqueuedAt: '2024-05-02T00:00:01.000Z',
    ...extra,
  };
}

function auth(accountId: string, suffix = ''): JobAuthorization {
  return { accountId, accountUsername: `user${accountId}`, accessToken: `access-token-${accountId}${suffix}`, accessSecret: `access-secret-${accountId}${suffix}` };
}

function run(jobId: string, taskId: string, extra: Partial<TaskRun> = {}): TaskRun {
  return {
    jobId,
    taskId,
    windowStart: '2024-05-01T00:00:00.000Z',
    windowEnd: '2024-05-02T00:00:00.000Z',
    status: 'running',
    items: 0,
    attachmentsSkipped: 0,
    daysOverCap: [],
    startedAt: '2024-05-02T00:00:02.000Z',
    finishedAt: null,
    durationMs: null,
    error: null,
    reported: false,
    ...extra,
  };
}

function describeStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.close();
    });

    describe('settings', () => {
      it('when nothing was saved, then no settings are returned', async () => {
        expect(await store.getSettings()).toEqual({});
      });

      it('when a partial patch is saved, then only its keys change and the others are kept', async () => {
        await store.saveSettings({ TwitterApiKey: 'key-1', TwitterApiSecretKey: 'secret-1', AADAppId: 'app-1' });
        await store.saveSettings({ TwitterApiSecretKey: 'secret-2', AADAppSecret: 'aad-secret', TwitterApiKey: undefined });
        expect(await store.getSettings()).toEqual({
          TwitterApiKey: 'key-1',
          TwitterApiSecretKey: 'secret-2',
          AADAppId: 'app-1',
          AADAppSecret: 'aad-secret',
        });
      });

      it('when another instance saved settings, then this one reads them', async () => {
        const peer = await h.openPeer();
        await peer.saveSettings({ TwitterAccessToken: 'tok' });
        expect(await store.getSettings()).toEqual({ TwitterAccessToken: 'tok' });
      });
    });

    describe('what X charged for', () => {
      it('when reads are added by this and another instance, then each day, job and source sums them, and a month lists from its first day', async () => {
        const peer = await h.openPeer();
        await store.addXUsage('job-1', '2026-11-30', 'timeline', { requests: 1, posts: 100, users: 1, dmEvents: 0 });
        await store.addXUsage('job-1', '2026-12-01', 'timeline', { requests: 2, posts: 150, users: 3, dmEvents: 0 });
        await Promise.all([
          peer.addXUsage('job-1', '2026-12-01', 'timeline', { requests: 1, posts: 5, users: 1, dmEvents: 0 }),
          store.addXUsage('job-1', '2026-12-01', 'timeline', { requests: 1, posts: 1, users: 0, dmEvents: 0 }),
          store.addXUsage('job-1', '2026-12-01', 'directMessages', { requests: 1, posts: 0, users: 2, dmEvents: 7 }),
          peer.addXUsage('job/2', '2026-12-02', 'mentions', { requests: 1, posts: 9, users: 4, dmEvents: 0 }),
        ]);
        expect(await store.listXUsage('2026-12-01')).toEqual([
          { jobId: 'job-1', day: '2026-12-01', source: 'directMessages', requests: 1, posts: 0, users: 2, dmEvents: 7 },
          { jobId: 'job-1', day: '2026-12-01', source: 'timeline', requests: 4, posts: 156, users: 4, dmEvents: 0 },
          { jobId: 'job/2', day: '2026-12-02', source: 'mentions', requests: 1, posts: 9, users: 4, dmEvents: 0 },
        ]);
        expect(await store.listXUsage('2027-01-01')).toEqual([]);
      });
    });

    describe('secrets at rest', () => {
      it('when settings, tokens and tasks are stored, then none of their secrets is stored in plaintext', async () => {
        const secrets = {
          setting: 'SETTING-SECRET-abc123',
          requestToken: 'REQUEST-TOKEN-def456',
          requestSecret: 'REQUEST-SECRET-ghi789',
          access: 'ACCESS-TOKEN-jkl012',
          accessSecret: 'ACCESS-SECRET-mno345',
          sas: 'SAS-SIGNATURE-pqr678',
        };
        await store.saveSettings({ AADAppSecret: secrets.setting, TwitterApiSecretKey: secrets.setting });
        const now = h.clock.now();
        await store.putRequestToken({ token: secrets.requestToken, tokenSecret: secrets.requestSecret, jobId: 'job-1', createdAt: now, expiresAt: now });
        await store.saveJobAuthorization('job-1', { accountId: '42', accountUsername: 'someone', accessToken: secrets.access, accessSecret: secrets.accessSecret });
        await store.enqueueTask(task('job-1', 'task-1', { blobSasUri: `https://acct.blob.core.windows.net/c?sig=${secrets.sas}` }));

        // The values still come back in the clear through the Store...
        expect((await store.getSettings()).AADAppSecret).toBe(secrets.setting);
        expect((await store.getJob('job-1'))?.accessSecret).toBe(secrets.accessSecret);
        // ...and the raw data does hold what was stored (so the check below can fail)...
        const raw = await h.rawData();
        expect(raw).toContain('someone');
        // ...but none of the secrets.
        for (const secret of Object.values(secrets)) expect(raw).not.toContain(secret);
      });

      it('when the store is opened with another key, then reading a secret fails with SecretBoxError', async () => {
        await store.saveSettings({ TwitterApiKey: 'k' });
        await store.saveJobAuthorization('job-1', auth('42'));
        const now = h.clock.now();
        await store.putRequestToken({ token: 't', tokenSecret: 's', jobId: 'job-1', createdAt: now, expiresAt: now });
        await store.enqueueTask(task('job-1', 'task-1'));

        const wrong = await h.openPeer(new SecretBox('another-key'));
        await expect(wrong.getSettings()).rejects.toBeInstanceOf(SecretBoxError);
        await expect(wrong.getJob('job-1')).rejects.toBeInstanceOf(SecretBoxError);
        await expect(wrong.takeRequestToken('t')).rejects.toBeInstanceOf(SecretBoxError);
        await expect(wrong.leaseTask(60_000)).rejects.toBeInstanceOf(SecretBoxError);
      });
    });

    describe('request tokens', () => {
      it('when a token is taken, then it is returned once and never again', async () => {
        const createdAt = new Date('2024-05-01T10:00:00.000Z');
        const expiresAt = new Date('2024-05-01T10:15:00.000Z');
        await store.putRequestToken({ token: 'tok-1', tokenSecret: 'sec-1', jobId: 'job-1', createdAt, expiresAt });
        expect(await store.takeRequestToken('tok-1')).toEqual({ token: 'tok-1', tokenSecret: 'sec-1', jobId: 'job-1', createdAt, expiresAt });
        expect(await store.takeRequestToken('tok-1')).toBeUndefined();
      });

      it('when a token is unknown, then taking it returns undefined', async () => {
        expect(await store.takeRequestToken('never-issued')).toBeUndefined();
      });

      it('when two instances take the same token at once, then exactly one gets it', async () => {
        const peer = await h.openPeer();
        for (let i = 0; i < 5; i++) {
          const now = h.clock.now();
          await store.putRequestToken({ token: `race-${i}`, tokenSecret: 's', jobId: 'job-1', createdAt: now, expiresAt: now });
          const results = await Promise.all([store.takeRequestToken(`race-${i}`), peer.takeRequestToken(`race-${i}`), store.takeRequestToken(`race-${i}`)]);
          expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        }
      });

      it("when a job's tokens are deleted, then only that job's tokens go", async () => {
        const now = h.clock.now();
        for (const [token, jobId] of [['a1', 'job-a'], ['a2', 'job-a'], ['b1', 'job-b']] as const) {
          await store.putRequestToken({ token, tokenSecret: 's', jobId, createdAt: now, expiresAt: now });
        }
        expect(await store.deleteRequestTokens('job-a')).toBe(2);
        expect(await store.deleteRequestTokens('job-a')).toBe(0);
        expect(await store.takeRequestToken('a1')).toBeUndefined();
        expect((await store.takeRequestToken('b1'))?.jobId).toBe('job-b');
      });
    });

    describe('jobs', () => {
      it('when a job is first authorized, then it exists with its tokens, unsaved and without sinceId', async () => {
        expect(await store.getJob('job-1')).toBeUndefined();
        const job = await store.saveJobAuthorization('job-1', auth('42'));
        expect(job).toMatchObject({
          jobId: 'job-1',
          tenantId: null,
          accountId: '42',
          accountUsername: 'user42',
          accountName: null,
          accessToken: 'access-token-42',
          accessSecret: 'access-secret-42',
          saved: false,
          sinceId: null,
          needsRelogin: false,
        });
        expect(job.createdAt).toBeInstanceOf(Date);
        expect(await store.getJob('job-1')).toEqual(job);
      });

      it('when the account mapping is saved, then the job is saved and found by its account', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        await store.saveJobAuthorization('job-2', auth('42'));
        await store.saveJobAuthorization('job-3', auth('7'));
        expect(await store.jobsForAccount('42')).toEqual([]);
        const job = await store.saveJobAccount('job-1', { tenantId: 'tenant-1', accountId: '42', accountName: 'Forty Two' });
        expect(job).toMatchObject({ saved: true, tenantId: 'tenant-1', accountName: 'Forty Two' });
        await store.saveJobAccount('job-3', { tenantId: null, accountId: '7', accountName: 'Seven' });
        expect(await store.jobsForAccount('42')).toEqual(['job-1']);
        expect(await store.jobsForAccount('42', 'job-1')).toEqual([]);
        expect(await store.jobsForAccount('7')).toEqual(['job-3']);
      });

      it('when the mapping names another account than the authorized one, then the job is not changed', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        const job = await store.saveJobAccount('job-1', { tenantId: 't', accountId: '999', accountName: 'Other' });
        expect(job).toMatchObject({ saved: false, accountName: null, tenantId: null });
      });

      it('when the same account signs in again, then tokens are replaced and sinceId, mapping are kept and relogin cleared', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        await store.saveJobAccount('job-1', { tenantId: 't', accountId: '42', accountName: 'Forty Two' });
        await store.advanceSinceId('job-1', '1000');
        expect(await store.setNeedsRelogin('job-1', true)).toBe(true);
        const job = await store.saveJobAuthorization('job-1', auth('42', '-v2'));
        expect(job).toMatchObject({ accessToken: 'access-token-42-v2', sinceId: '1000', saved: true, accountName: 'Forty Two', tenantId: 't', needsRelogin: false });
      });

      it('when another account signs in to the job, then sinceId and the mapping are reset', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        await store.saveJobAccount('job-1', { tenantId: 't', accountId: '42', accountName: 'Forty Two' });
        await store.advanceSinceId('job-1', '1000');
        const job = await store.saveJobAuthorization('job-1', auth('7'));
        expect(job).toMatchObject({ accountId: '7', accountUsername: 'user7', accessToken: 'access-token-7', sinceId: null, saved: false, accountName: null });
        expect(await store.jobsForAccount('42')).toEqual([]);
      });

      it('when sinceId is advanced, then it moves forward numerically and never backwards', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        await store.advanceSinceId('job-1', '99');
        expect((await store.getJob('job-1'))?.sinceId).toBe('99');
        await store.advanceSinceId('job-1', '100'); // '100' < '99' as text
        expect((await store.getJob('job-1'))?.sinceId).toBe('100');
        await store.advanceSinceId('job-1', '99');
        expect((await store.getJob('job-1'))?.sinceId).toBe('100');
        await store.advanceSinceId('job-1', '1790000000000000001');
        expect((await store.getJob('job-1'))?.sinceId).toBe('1790000000000000001');
        await expect(store.advanceSinceId('no-such-job', '5')).resolves.toBeUndefined();
      });

      it('when two instances change one job at once, then no update is lost', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        const peer = await h.openPeer();
        const ids = Array.from({ length: 8 }, (_, i) => String(1000 + i * 7));
        await Promise.all([
          ...ids.map((id, i) => (i % 2 ? peer : store).advanceSinceId('job-1', id)),
          peer.setNeedsRelogin('job-1', true),
        ]);
        expect(await store.getJob('job-1')).toMatchObject({ sinceId: '1049', needsRelogin: true });
      });

      it('when relogin is flagged, then the job shows it; an unknown job reports false', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        expect(await store.setNeedsRelogin('job-1', true)).toBe(true);
        expect((await store.getJob('job-1'))?.needsRelogin).toBe(true);
        expect(await store.setNeedsRelogin('job-1', false)).toBe(true);
        expect((await store.getJob('job-1'))?.needsRelogin).toBe(false);
        expect(await store.setNeedsRelogin('no-such-job', true)).toBe(false);
      });

      it('when jobs are listed, then they come oldest first', async () => {
        await store.saveJobAuthorization('job-b', auth('1'));
        h.clock.advance(1000);
        await store.saveJobAuthorization('job-a', auth('2'));
        h.clock.advance(1000);
        await store.saveJobAuthorization('job-c', auth('3'));
        expect((await store.listJobs()).map((j) => j.jobId)).toEqual(['job-b', 'job-a', 'job-c']);
      });

      it('when a job is deleted, then it and its request tokens are gone; deleting again reports false', async () => {
        await store.saveJobAuthorization('job-1', auth('42'));
        await store.saveJobAuthorization('job-2', auth('7'));
        const now = h.clock.now();
        await store.putRequestToken({ token: 't1', tokenSecret: 's', jobId: 'job-1', createdAt: now, expiresAt: now });
        await store.putRequestToken({ token: 't2', tokenSecret: 's', jobId: 'job-2', createdAt: now, expiresAt: now });
        expect(await store.deleteJob('job-1')).toBe(true);
        expect(await store.getJob('job-1')).toBeUndefined();
        expect(await store.takeRequestToken('t1')).toBeUndefined();
        expect(await store.getJob('job-2')).toBeDefined();
        expect(await store.takeRequestToken('t2')).toBeDefined();
        expect(await store.deleteJob('job-1')).toBe(false);
      });

      it('when ids hold characters keys forbid (/ \\ # ? and control characters), then everything still works', async () => {
        const jobId = 'job/with\\odd#chars?\u0001\t';
        const taskId = 'task/1#?\\\u007f';
        await store.saveJobAuthorization(jobId, auth('42'));
        expect((await store.getJob(jobId))?.jobId).toBe(jobId);
        await store.advanceSinceId(jobId, '5');
        await store.enqueueTask(task(jobId, taskId));
        const lease = await store.leaseTask(60_000);
        expect(lease?.task).toEqual(task(jobId, taskId));
        await store.completeTask(lease!);
        expect((await store.reserveDays(jobId, taskId, new Map([['2024-05-01', 3]]), 10)).accepted).toEqual(['2024-05-01']);
        await store.recordTaskRun(run(jobId, taskId));
        expect((await store.getTaskRun(jobId, taskId))?.taskId).toBe(taskId);
        expect(await store.deleteJob(jobId)).toBe(true);
      });
    });

    describe('task queue', () => {
      it('when the queue is empty, then nothing is leased', async () => {
        expect(await store.queueDepth()).toBe(0);
        expect(await store.leaseTask(60_000)).toBeUndefined();
      });

      it('when a task is enqueued twice, then it is queued once and leased as it was sent', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        await store.enqueueTask(task('job-1', 'task-1', { startTime: '2030-01-01T00:00:00.000Z' }));
        expect(await store.queueDepth()).toBe(1);
        const lease = await store.leaseTask(60_000);
        expect(lease).toMatchObject({ task: task('job-1', 'task-1'), dequeueCount: 1 });
        expect(await store.leaseTask(60_000)).toBeUndefined();
      });

      it('when two instances enqueue one task at once, then it is queued once', async () => {
        const peer = await h.openPeer();
        await Promise.all([store.enqueueTask(task('job-1', 'task-1')), peer.enqueueTask(task('job-1', 'task-1')), store.enqueueTask(task('job-1', 'task-1'))]);
        expect(await store.queueDepth()).toBe(1);
        expect(await store.leaseTask(60_000)).toBeDefined();
        expect(await peer.leaseTask(60_000)).toBeUndefined();
      });

      it('when a task is leased, then it is hidden from others but still counted; enqueueing it again adds nothing', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        await store.enqueueTask(task('job-1', 'task-2'));
        const first = await store.leaseTask(60_000);
        const second = await (await h.openPeer()).leaseTask(60_000);
        expect(new Set([first?.task.taskId, second?.task.taskId])).toEqual(new Set(['task-1', 'task-2']));
        expect(await store.leaseTask(60_000)).toBeUndefined();
        await store.enqueueTask(task('job-1', 'task-1'));
        expect(await store.queueDepth()).toBe(2);
        expect(await store.leaseTask(60_000)).toBeUndefined();
      });

      it('when a task carries a large payload, then it round-trips whole', async () => {
        const dirtyEntities = Array.from({ length: 5000 }, (_, i) => String(1790000000000000000n + BigInt(i)));
        await store.enqueueTask(task('job-1', 'task-big', { dirtyEntities }));
        expect((await store.leaseTask(60_000))?.task.dirtyEntities).toEqual(dirtyEntities);
      });

      it('when a lease expires, then the task is visible again with dequeueCount 2 and the old lease is lost', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        const first = (await store.leaseTask(1000))!;
        expect(first.dequeueCount).toBe(1);
        expect(await store.leaseTask(60_000)).toBeUndefined();
        const second = await eventually(() => store.leaseTask(60_000), 'the lease to expire');
        expect(second).toMatchObject({ task: task('job-1', 'task-1'), dequeueCount: 2 });

        expect(await store.extendLease(first, 60_000)).toBe(false);
        await store.completeTask(first); // not ours any more: must not remove it
        await store.releaseTask(first); // nor hand it back to the queue
        expect(await store.queueDepth()).toBe(1);
        expect(await store.leaseTask(60_000)).toBeUndefined();
        expect(await store.extendLease(second, 60_000)).toBe(true);
        await store.completeTask(second);
        expect(await store.queueDepth()).toBe(0);
      });

      it('when a lease is extended, then the task stays hidden past its first timeout', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        await store.enqueueTask(task('job-1', 'task-2'));
        const kept = (await store.leaseTask(1000))!;
        const dropped = (await store.leaseTask(1000))!;
        expect(await store.extendLease(kept, 60_000)).toBe(true);
        // The other task, leased just after with the same timeout, coming back proves the first timeout has passed.
        const back = await eventually(() => store.leaseTask(60_000), 'the unextended lease to expire');
        expect(back.task.taskId).toBe(dropped.task.taskId);
        expect(await store.leaseTask(60_000)).toBeUndefined();
        expect(await store.extendLease(kept, 60_000)).toBe(true);
        await store.completeTask(kept);
        await store.completeTask(back);
        expect(await store.queueDepth()).toBe(0);
      });

      it('when a task is completed, then it is gone, and the same task can be queued anew', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        const lease = (await store.leaseTask(60_000))!;
        await store.completeTask(lease);
        expect(await store.queueDepth()).toBe(0);
        expect(await store.leaseTask(60_000)).toBeUndefined();
        await store.enqueueTask(task('job-1', 'task-1'));
        expect(await store.queueDepth()).toBe(1);
        expect((await store.leaseTask(60_000))?.dequeueCount).toBe(1);
      });

      it('when a task is released, then it can be leased again at once', async () => {
        await store.enqueueTask(task('job-1', 'task-1'));
        const lease = (await store.leaseTask(60_000))!;
        await store.releaseTask(lease);
        const again = await (await h.openPeer()).leaseTask(60_000);
        expect(again).toMatchObject({ task: task('job-1', 'task-1'), dequeueCount: 2 });
        expect(await store.extendLease(lease, 60_000)).toBe(false);
      });
    });

    describe('daily ledger', () => {
      const day = '2024-05-01';
      it('when a task reserves exactly the cap, then it is accepted; one more is refused; other days are unaffected', async () => {
        expect(await store.reserveDays('job-1', 'task-1', new Map([[day, 100]]), 100)).toEqual({ accepted: [day], rejected: [] });
        expect(await store.reserveDays('job-1', 'task-2', new Map([[day, 1], ['2024-05-02', 100]]), 100)).toEqual({
          accepted: ['2024-05-02'],
          rejected: [{ day, wouldBe: 101 }],
        });
        expect(await store.reserveDays('job-2', 'task-3', new Map([[day, 100]]), 100)).toEqual({ accepted: [day], rejected: [] });
        expect(await store.dayTotals('2024-01-01')).toEqual([
          { jobId: 'job-1', day, items: 100, refused: 1 },
          { jobId: 'job-2', day, items: 100, refused: 0 },
          { jobId: 'job-1', day: '2024-05-02', items: 100, refused: 0 },
        ]);
      });

      it('when a single task is over the cap on its own, then that day is refused', async () => {
        expect(await store.reserveDays('job-1', 'task-1', new Map([[day, 101]]), 100)).toEqual({ accepted: [], rejected: [{ day, wouldBe: 101 }] });
      });

      it('when two tasks share a day, then their counts add up against the cap', async () => {
        expect((await store.reserveDays('job-1', 'task-1', new Map([[day, 60]]), 100)).accepted).toEqual([day]);
        expect((await store.reserveDays('job-1', 'task-2', new Map([[day, 40]]), 100)).accepted).toEqual([day]);
        expect((await store.reserveDays('job-1', 'task-3', new Map([[day, 1]]), 100)).rejected).toEqual([{ day, wouldBe: 101 }]);
      });

      it('when a task is retried, then its own earlier count is replaced, not added', async () => {
        await store.reserveDays('job-1', 'task-1', new Map([[day, 80]]), 100);
        expect((await store.reserveDays('job-1', 'task-1', new Map([[day, 80]]), 100)).accepted).toEqual([day]);
        expect((await store.reserveDays('job-1', 'task-2', new Map([[day, 30]]), 100)).rejected).toEqual([{ day, wouldBe: 110 }]);
        expect((await store.reserveDays('job-1', 'task-1', new Map([[day, 50]]), 100)).accepted).toEqual([day]);
        expect((await store.reserveDays('job-1', 'task-2', new Map([[day, 30]]), 100)).accepted).toEqual([day]);
        expect(await store.dayTotals(day)).toEqual([{ jobId: 'job-1', day, items: 80, refused: 0 }]);
      });

      it('when a failed task releases its days, then its accepted counts go back and its refused ones stay', async () => {
        await store.reserveDays('job-1', 'task-1', new Map([[day, 80], ['2024-05-02', 7]]), 100);
        expect((await store.reserveDays('job-1', 'task-2', new Map([[day, 30]]), 100)).rejected).toEqual([{ day, wouldBe: 110 }]);
        await store.releaseDays('job-1', 'task-2', [day]); // refused: nothing to give back
        await store.releaseDays('job-1', 'task-1', [day]);
        expect(await store.dayTotals(day)).toEqual([
          { jobId: 'job-1', day, items: 0, refused: 30 },
          { jobId: 'job-1', day: '2024-05-02', items: 7, refused: 0 },
        ]);
        expect((await store.reserveDays('job-1', 'task-3', new Map([[day, 100]]), 100)).accepted).toEqual([day]);
        await store.releaseDays('job-1', 'task-9', ['2024-06-01']); // nothing reserved there: no error
        // A day whose only task is released has no total left at all, in either store.
        await store.reserveDays('job-1', 'task-9', new Map([['2024-06-02', 5]]), 100);
        await store.releaseDays('job-1', 'task-9', ['2024-06-02']);
        expect(await store.dayTotals('2024-06-01')).toEqual([]);
      });

      it('when day totals are asked since a day, then earlier days are left out', async () => {
        await store.reserveDays('job-1', 'task-1', new Map([['2024-04-30', 5], [day, 6]]), 100);
        expect(await store.dayTotals(day)).toEqual([{ jobId: 'job-1', day, items: 6, refused: 0 }]);
      });

      it('when 10 tasks on two instances reserve one day at once, then the total never exceeds the cap', async () => {
        const peer = await h.openPeer();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : store).reserveDays('job-1', `task-${i}`, new Map([[day, 15]]), 100)),
        );
        const accepted = results.filter((r) => r.accepted.includes(day)).length;
        expect(accepted).toBe(6); // 6 × 15 = 90 fits; a 7th would make 105
        expect(await store.dayTotals(day)).toEqual([{ jobId: 'job-1', day, items: 90, refused: 60 }]);
      });
    });

    describe('task runs', () => {
      it('when a run is recorded twice, then the second replaces the first', async () => {
        expect(await store.getTaskRun('job-1', 'task-1')).toBeUndefined();
        await store.recordTaskRun(run('job-1', 'task-1'));
        const done = run('job-1', 'task-1', { status: 'success', items: 12, daysOverCap: ['2024-05-01'], finishedAt: '2024-05-02T00:01:00.000Z', durationMs: 58000, reported: true });
        h.clock.advance(1000);
        await store.recordTaskRun(done);
        expect(await store.getTaskRun('job-1', 'task-1')).toEqual(done);
        expect(await store.listTaskRuns(10)).toEqual([done]);
      });

      it('when runs are listed, then the most recently updated come first, up to the limit', async () => {
        await store.recordTaskRun(run('job-1', 'a'));
        h.clock.advance(1000);
        await store.recordTaskRun(run('job-1', 'b'));
        h.clock.advance(1000);
        await store.recordTaskRun(run('job-2', 'c'));
        h.clock.advance(1000);
        await store.recordTaskRun(run('job-1', 'a', { status: 'success' }));
        expect((await store.listTaskRuns(10)).map((r) => r.taskId)).toEqual(['a', 'c', 'b']);
        expect((await store.listTaskRuns(2)).map((r) => r.taskId)).toEqual(['a', 'c']);
        expect(await store.listTaskRuns(0)).toEqual([]);
      });
    });

    describe('archived posts and deletions', () => {
      const archived = (postId: string, day: string, taskId = 'task-1') => ({
        postId,
        createdAt: `${day}T10:00:00.000Z`,
        day,
        conversationId: postId === '99' ? null : `c${postId}`,
        taskId,
      });
      const deletion = (postId: string, learnedAt: string) => ({
        jobId: 'job-1',
        postId,
        action: 'delete',
        reason: 'deleted',
        occurredAt: '2026-11-20T08:00:00.000Z',
        learnedAt,
        conversationId: `c${postId}`,
        via: 'compliance' as const,
      });

      it('when posts are archived, then they are listed by job in id order from a day on, a page at a time, and recorded again in place', async () => {
        await store.recordArchived('job-1', [archived('1000', '2026-11-01'), archived('99', '2026-11-03'), archived('20000', '2026-11-02')]);
        await store.recordArchived('job-2', [archived('5', '2026-11-02')]);
        await store.recordArchived('job-1', [archived('1000', '2026-11-04', 'task-2')]);
        expect((await store.listArchived('job-1', '2026-11-01', 10)).map((p) => p.postId)).toEqual(['99', '1000', '20000']);
        expect(await store.listArchived('job-1', '2026-11-03', 10)).toEqual([archived('99', '2026-11-03'), archived('1000', '2026-11-04', 'task-2')]);
        expect((await store.listArchived('job-1', '2026-01-01', 2)).map((p) => p.postId)).toEqual(['99', '1000']);
        expect((await store.listArchived('job-1', '2026-01-01', 2, '1000')).map((p) => p.postId)).toEqual(['20000']);
        expect(await store.getArchived('job-2', '5')).toEqual(archived('5', '2026-11-02'));
        expect(await store.getArchived('job-2', '1000')).toBeUndefined();
      });

      it('when a deletion is recorded twice, then it is kept once, as first learned', async () => {
        expect(await store.recordDeletion(deletion('1', '2026-11-21T03:30:00.000Z'))).toBe(true);
        expect(await store.recordDeletion(deletion('1', '2026-11-22T03:30:00.000Z'))).toBe(false);
        expect(await store.listDeletions(10)).toEqual([{ ...deletion('1', '2026-11-21T03:30:00.000Z'), claimedBy: null }]);
      });

      it('when tasks claim deletions, then each goes to one task, up to the time given; a re-run gets the same; a release gives them to a later task', async () => {
        await store.recordDeletion(deletion('1', '2026-11-21T03:30:00.000Z'));
        await store.recordDeletion(deletion('2', '2026-11-22T03:30:00.000Z'));
        expect((await store.claimDeletions('job-1', 'task-a', '2026-11-21T23:59:59.999Z')).map((d) => [d.postId, d.claimedBy])).toEqual([['1', 'task-a']]);
        expect((await store.claimDeletions('job-1', 'task-a', '2026-11-21T23:59:59.999Z')).map((d) => d.postId)).toEqual(['1']);
        expect((await store.claimDeletions('job-1', 'task-b', '2026-11-30T00:00:00.000Z')).map((d) => d.postId)).toEqual(['2']);
        expect(await store.claimDeletions('job-2', 'task-c', '2026-11-30T00:00:00.000Z')).toEqual([]);
        await store.releaseDeletions('job-1', 'task-b');
        expect((await store.claimDeletions('job-1', 'task-d', '2026-11-30T00:00:00.000Z')).map((d) => d.postId)).toEqual(['2']);
        expect((await store.listDeletions(10)).map((d) => [d.postId, d.claimedBy])).toEqual([
          ['2', 'task-d'],
          ['1', 'task-a'],
        ]);
      });

      it('when a deletion check is saved again for a job, then it replaces the last', async () => {
        const check = { jobId: 'job-1', at: '2026-11-21T03:30:00.000Z', ok: false, checked: 0, found: 0, message: 'X refused (HTTP 403)' };
        await store.saveDeletionCheck(check);
        await store.saveDeletionCheck({ ...check, jobId: 'job-0' });
        await store.saveDeletionCheck({ ...check, ok: true, checked: 12, found: 1, message: null });
        expect(await store.listDeletionChecks()).toEqual([{ ...check, jobId: 'job-0' }, { ...check, ok: true, checked: 12, found: 1, message: null }]);
      });
    });

    describe('audit log', () => {
      const seqs = (entries: { seq: number }[]) => entries.map((e) => e.seq);

      it('when entries are appended, then they are numbered from 1 and each is hashed and chained to the one before, from 64 zeros', async () => {
        expect(await store.auditHead()).toBeUndefined();
        expect(await store.listAudit()).toEqual([]);
        const first = await store.appendAudit({ kind: 'settings.saved', details: { changed: ['TwitterApiKey'], by: { principal: 'basic', address: '203.0.113.7' } } });
        h.clock.advance(1000);
        const second = await store.appendAudit({ kind: 'job.deleted', details: { jobId: 'job-1' } });
        expect(first).toMatchObject({ seq: 1, kind: 'settings.saved', prevHash: GENESIS_HASH, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
        expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(first.hash).toBe(auditHash(first));
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
        expect(second.hash).toBe(auditHash(second));
        // Stamped with the store's clock, which the test moved on by 1 s in between.
        expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(1000);
        expect(Math.abs(Date.parse(second.at) - h.clock.now().getTime())).toBeLessThan(5000);
        // Read back exactly as appended (details with their nesting), newest first by default.
        expect(await store.listAudit()).toEqual([second, first]);
        expect(await store.auditHead()).toEqual({ seq: 2, hash: second.hash });
        expect(await verifyAuditChain(store)).toEqual({ ok: true, entries: 2, last: { seq: 2, hash: second.hash } });
      });

      it('when the log is paged, then newest first goes down by seq before a page, and oldest first up after one', async () => {
        for (let i = 1; i <= 7; i++) await store.appendAudit({ kind: 'task.queued', details: { jobId: 'job-1', taskId: `t${i}` } });
        expect(seqs(await store.listAudit({ limit: 3 }))).toEqual([7, 6, 5]);
        expect(seqs(await store.listAudit({ limit: 3, before: 5 }))).toEqual([4, 3, 2]);
        expect(seqs(await store.listAudit({ limit: 3, before: 2 }))).toEqual([1]);
        expect(seqs(await store.listAudit({ order: 'oldest', limit: 3 }))).toEqual([1, 2, 3]);
        expect(seqs(await store.listAudit({ order: 'oldest', limit: 3, after: 6 }))).toEqual([7]);
        expect(seqs(await store.listAudit({ order: 'oldest', after: 2, before: 5 }))).toEqual([3, 4]);
        expect(await store.listAudit({ limit: 0 })).toEqual([]);
      });

      it('when from and to are given, then only entries at or between them are listed, in either order', async () => {
        const at = ['2026-03-01T10:00:00.000Z', '2026-03-01T11:00:00.000Z', '2026-03-02T09:00:00.000Z', '2026-03-03T00:00:00.000Z'];
        for (const t of at) await store.appendAudit({ kind: 'verify.run', at: t, details: { ok: true } });
        expect(seqs(await store.listAudit({ from: '2026-03-01T11:00:00.000Z', to: '2026-03-02T09:00:00.000Z' }))).toEqual([3, 2]);
        expect(seqs(await store.listAudit({ from: '2026-03-01T10:30:00Z', order: 'oldest' }))).toEqual([2, 3, 4]);
        // Any ISO form of the same instant: compared as times, not as text.
        expect(seqs(await store.listAudit({ to: '2026-03-01T12:00:00+01:00' }))).toEqual([2, 1]);
        expect(seqs(await store.listAudit({ from: '2026-03-01T00:00:00.000Z', limit: 1, before: 3 }))).toEqual([2]);
        expect(await store.listAudit({ from: '2026-04-01T00:00:00.000Z' })).toEqual([]);
      });

      it('when two instances append at the same time, then the log is one unbroken chain holding every entry once', async () => {
        const peer = await h.openPeer();
        const appends = [];
        for (let i = 0; i < 8; i++) {
          appends.push(store.appendAudit({ kind: 'task.queued', details: { by: 'a', i } }));
          appends.push(peer.appendAudit({ kind: 'task.queued', details: { by: 'b', i } }));
        }
        const written = await Promise.all(appends);
        expect(written.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
        const all = await peer.listAudit({ order: 'oldest' });
        expect(all.map((e) => `${e.details['by']}${e.details['i']}`).sort()).toEqual(written.map((e) => `${e.details['by']}${e.details['i']}`).sort());
        expect(await verifyAuditChain(store)).toMatchObject({ ok: true, entries: 16 });
      });

      it('when an entry names an unknown kind or would hold a secret, then it is refused and nothing is written', async () => {
        await expect(store.appendAudit({ kind: 'settings.changed' as never, details: {} })).rejects.toThrow(/unknown audit kind/);
        await expect(store.appendAudit({ kind: 'settings.saved', details: { TwitterApiSecretKey: 'x' } })).rejects.toThrow(/no secret/);
        await expect(store.appendAudit({ kind: 'job.setup', details: { job: { accessToken: 'x' } } })).rejects.toThrow(/no secret/);
        await expect(store.appendAudit({ kind: 'task.queued', details: { url: 'https://a.blob.core.windows.net/c?sv=1&sig=abc' } })).rejects.toThrow(/signed URL/);
        await expect(store.appendAudit({ kind: 'task.queued', details: { at: 'x' }, at: 'not a date' })).rejects.toThrow(/not a date/);
        expect(await store.listAudit()).toEqual([]);
        expect(await store.auditHead()).toBeUndefined();
        // Key names as values are fine: that is how settings are recorded.
        await expect(store.appendAudit({ kind: 'settings.saved', details: { changed: ['TwitterApiSecretKey'] } })).resolves.toMatchObject({ seq: 1 });
      });
    });

    describe('worker heartbeats', () => {
      const beat = (instanceId: string, lastBeatAt: string, extra: Partial<WorkerBeat> = {}): WorkerBeat => ({
        instanceId,
        host: 'host-a',
        mode: 'worker',
        version: '1.2.3',
        startedAt: '2024-05-02T00:00:00.000Z',
        lastBeatAt,
        task: null,
        stoppedAt: null,
        ...extra,
      });

      it('when two instances beat, then both are listed newest beat first, and a later beat replaces the earlier one', async () => {
        const peer = await h.openPeer();
        await store.recordHeartbeat(beat('host-a:1:x', '2024-05-02T00:01:00.000Z'));
        await peer.recordHeartbeat(beat('host-b:2:y', '2024-05-02T00:02:00.000Z', { host: 'host-b', mode: 'all' }));
        await store.recordHeartbeat(beat('host-a:1:x', '2024-05-02T00:03:00.000Z', { task: { jobId: 'j1', taskId: 't1' } }));
        const listed = await peer.listHeartbeats();
        expect(listed).toEqual([
          beat('host-a:1:x', '2024-05-02T00:03:00.000Z', { task: { jobId: 'j1', taskId: 't1' } }),
          beat('host-b:2:y', '2024-05-02T00:02:00.000Z', { host: 'host-b', mode: 'all' }),
        ]);
      });

      it('when heartbeats are pruned, then only those beaten before the time go', async () => {
        await store.recordHeartbeat(beat('old', '2024-04-01T00:00:00.000Z'));
        await store.recordHeartbeat(beat('new', '2024-05-02T00:00:00.000Z'));
        expect(await store.pruneHeartbeats('2024-05-01T00:00:00.000Z')).toBe(1);
        expect((await store.listHeartbeats()).map((b) => b.instanceId)).toEqual(['new']);
      });

      it('when tasks are queued, then the oldest queued time is the earliest enqueuedAt still in the queue, and null once empty', async () => {
        expect(await store.oldestQueuedAt()).toBeNull();
        await store.enqueueTask(task('j1', 't-late', { enqueuedAt: '2024-05-02T00:00:09.000Z' }));
        await store.enqueueTask(task('j1', 't-early', { enqueuedAt: '2024-05-02T00:00:03.000Z' }));
        expect(await store.oldestQueuedAt()).toBe('2024-05-02T00:00:03.000Z');
        for (let lease = await store.leaseTask(30_000); lease; lease = await store.leaseTask(30_000)) await store.completeTask(lease);
        expect(await store.oldestQueuedAt()).toBeNull();
      });
    });

    describe('imported archives', () => {
      const rec = (id: string, createdAt: string, data = `{"id":"${id}"}`): ImportedRecord => ({ id, kind: 'post', createdAt, importId: 'a'.repeat(64), data });

      it('when records are put twice, then the second put adds only the new ids, and a window lists its own in id order, a page at a time', async () => {
        const day = (h: number) => `2018-10-10T${String(h).padStart(2, '0')}:00:00.000Z`;
        const ids = [1, 2, 3, 4, 5].map((h) => snowflake(day(h)));
        expect(await store.putImportedRecords('job-1', ids.slice(0, 3).map((id, i) => rec(id, day(i + 1))))).toBe(3);
        expect(await store.putImportedRecords('job-1', ids.map((id, i) => rec(id, day(i + 1), '{"changed":true}')))).toBe(2);
        expect(await store.putImportedRecords('job-2', [rec(ids[0]!, day(1))])).toBe(1);
        expect((await store.getImportedRecord('job-1', ids[0]!))?.data).toBe(`{"id":"${ids[0]}"}`);
        expect(await store.getImportedRecord('job-1', '999')).toBeUndefined();
        const window = { from: day(2), to: day(4) };
        const first = await store.listImportedRecords('job-1', { ...window, limit: 2 });
        expect(first.map((r) => r.id)).toEqual([ids[1], ids[2]]);
        const next = await store.listImportedRecords('job-1', { ...window, limit: 2, after: first.at(-1)!.id });
        expect(next.map((r) => [r.id, r.kind, r.createdAt])).toEqual([[ids[3], 'post', day(4)]]);
      });

      it('when a record is from before snowflake ids or its data is long and not ASCII, then it is kept as it was', async () => {
        const long = JSON.stringify({ text: 'é🎉 '.repeat(6_000) });
        await store.putImportedRecords('job-1', [rec('20', '2006-03-21T20:50:14.000Z'), rec(snowflake('2023-01-01T00:00:00.000Z'), '2023-01-01T00:00:00.000Z', long)]);
        expect((await store.listImportedRecords('job-1', { from: '2006-03-21T00:00:00.000Z', to: '2006-03-21T23:59:59.999Z', limit: 10 })).map((r) => r.id)).toEqual(['20']);
        const [big] = await store.listImportedRecords('job-1', { from: '2023-01-01T00:00:00.000Z', to: '2023-01-01T00:00:00.000Z', limit: 10 });
        expect(big?.data).toBe(long);
      });

      it('when an import is saved again, then it is replaced, and imports list newest first', async () => {
        const imp = (importId: string, startedAt: string, status: ArchiveImport['status']): ArchiveImport => ({
          jobId: 'job-1',
          importId,
          fileName: `${importId}.zip`,
          bytes: 10,
          accountId: '1',
          accountUsername: null,
          status,
          startedAt,
          finishedAt: null,
          durationMs: null,
          found: { posts: 1, dms: 0, media: 0 },
          imported: { posts: 1, dms: 0, media: 0 },
          error: null,
        });
        await store.saveImport(imp('aa', '2026-01-01T00:00:00.000Z', 'running'));
        await store.saveImport(imp('bb', '2026-01-02T00:00:00.000Z', 'done'));
        await store.saveImport(imp('aa', '2026-01-01T00:00:00.000Z', 'done'));
        expect((await store.listImports()).map((i) => [i.importId, i.status])).toEqual([
          ['bb', 'done'],
          ['aa', 'done'],
        ]);
      });
    });

    describe('health', () => {
      it('when the store is up, then ping resolves, and close resolves', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        const peer = await h.openPeer();
        await expect(peer.close()).resolves.toBeUndefined();
      });
    });
  });
}

// SQLite -----------------------------------------------------------------------------------------

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
  const file = join(dir, 'connector.db');
  const clock = new TestClock();
  const opened: Store[] = [];
  const open = (box = new SecretBox(KEY)): Store => {
    const s = new SqliteStore(file, box, clock.now);
    opened.push(s);
    return s;
  };
  const store = open();
  expect(store.kind).toBe('sqlite');
  return {
    store,
    clock,
    openPeer: async (box) => open(box),
    // The main file and the WAL (and anything else SQLite keeps beside it).
    rawData: async () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('connector.db'))
        .map((f) => readFileSync(join(dir, f)).toString('latin1'))
        .join('\n'),
    close: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// Azure Tables + Queues on Azurite ----------------------------------------------------------------

describe('on Azurite', () => {
  let azurite: AzuriteHandle;
  const suite = `c${randomBytes(3).toString('hex')}`;
  let n = 0;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.close();
  });

  describeStoreContract('azure', async () => {
    const prefix = `${suite}t${++n}`;
    const clock = new TestClock();
    const open = (box = new SecretBox(KEY)): Promise<Store> => AzureStore.open(azurite.connectionString, box, clock.now, { prefix });
    const store = await open();
    expect(store.kind).toBe('azure');
    return {
      store,
      clock,
      openPeer: (box) => open(box),
      // Every property of every entity in this store's tables, and every queued message.
      rawData: async () => {
        const service = TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true });
        const parts: string[] = [];
        for await (const t of service.listTables()) {
          if (!t.name?.startsWith(prefix)) continue;
          const client = TableClient.fromConnectionString(azurite.connectionString, t.name, { allowInsecureConnection: true });
          for await (const e of client.listEntities()) parts.push(JSON.stringify(e));
        }
        expect(parts.length).toBeGreaterThan(0);
        const queue = new QueueClient(azurite.connectionString, `${prefix}-tasks`);
        for (const m of (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems) parts.push(m.messageText);
        return parts.join('\n');
      },
      close: () => store.close(),
    };
  });

  // Azure only: an instance can stop between the separate writes of enqueue and completeTask.
  describe('queue recovery after an interrupted write', () => {
    let store: Store;
    let tasks: TableClient;
    let queue: QueueClient;
    const rowOf = async (jobId: string, taskId: string) =>
      tasks.getEntity<Record<string, unknown>>(Buffer.from(jobId).toString('base64url'), Buffer.from(taskId).toString('base64url'));
    beforeEach(async () => {
      const prefix = `${suite}r${++n}`;
      store = await AzureStore.open(azurite.connectionString, new SecretBox(KEY), undefined, { prefix });
      tasks = TableClient.fromConnectionString(azurite.connectionString, `${prefix}tasks`, { allowInsecureConnection: true });
      queue = new QueueClient(azurite.connectionString, `${prefix}-tasks`);
    });

    /** Leaves the state an enqueue leaves when it stops after writing the row: a row bound to no message, and no message. */
    async function unbindAndDropMessages(): Promise<void> {
      const { etag: _etag, timestamp: _ts, messageId: _m, ...row } = await rowOf('job-1', 'task-1');
      await tasks.updateEntity(row as { partitionKey: string; rowKey: string }, 'Replace');
      await queue.clearMessages();
    }

    it('when an enqueue stopped before sending its message, then enqueueing again queues the task', async () => {
      await store.enqueueTask(task('job-1', 'task-1'));
      await unbindAndDropMessages();
      expect(await store.queueDepth()).toBe(0);
      await store.enqueueTask(task('job-1', 'task-1'));
      expect(await store.queueDepth()).toBe(1);
      expect((await store.leaseTask(60_000))?.task).toEqual(task('job-1', 'task-1'));
    });

    it('when an enqueue stopped before binding its message and was retried, then the surplus message is dropped on receipt', async () => {
      await store.enqueueTask(task('job-1', 'task-1'));
      await unbindAndDropMessages();
      await queue.sendMessage(JSON.stringify({ jobId: 'job-1', taskId: 'task-1' }), { messageTimeToLive: -1 }); // sent, never bound
      await store.enqueueTask(task('job-1', 'task-1'));
      expect(await store.queueDepth()).toBe(2);
      const lease = await store.leaseTask(60_000);
      expect(lease?.task.taskId).toBe('task-1');
      expect(await store.leaseTask(60_000)).toBeUndefined();
      expect(await store.queueDepth()).toBe(1);
      await store.completeTask(lease!);
      expect(await store.queueDepth()).toBe(0);
    });

    it('when completeTask stopped after removing the row, then the leftover message is dropped on receipt', async () => {
      await store.enqueueTask(task('job-1', 'task-1'));
      const lease = (await store.leaseTask(60_000))!;
      const row = await rowOf('job-1', 'task-1');
      await tasks.deleteEntity(row.partitionKey as string, row.rowKey as string);
      await store.releaseTask(lease);
      expect(await store.leaseTask(60_000)).toBeUndefined();
      expect(await store.queueDepth()).toBe(0);
    });
  });

  it('when the prefix is not a legal name start, then open refuses it', async () => {
    await expect(AzureStore.open(azurite.connectionString, new SecretBox(KEY), undefined, { prefix: 'Bad-Prefix' })).rejects.toThrow(/prefix/);
  });
});

