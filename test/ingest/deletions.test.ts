import type { Item } from '../../src/ingest/item';
import { checkDeletions } from '../../src/ingest/deletionCheck';
import { ComplianceClient, complianceGuard } from '../../src/x/complianceClient';
import type { FakeXPost } from '../fakes/xServer';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT } from '../helpers/signIn';

/**
 * Deletions: the daily check asks X's batch compliance (the fake X speaks its wire format) which
 * archived posts are gone; each becomes one TweetDeletion Item in the job's next task.
 */
let p: Pipeline;

const DAY = '2026-11-20';
const post = (n: number, hh: number): FakeXPost => ({
  id: String(1300000000000000000n + BigInt(n)),
  author_id: ACCOUNT.id,
  text: `post ${n}`,
  created_at: `${DAY}T${String(hh).padStart(2, '0')}:00:00.000Z`,
  conversation_id: n === 2 ? String(1300000000000000001n) : undefined,
});
const POSTS = [post(1, 8), post(2, 9), post(3, 10)];

beforeEach(async () => {
  p = await startPipeline();
  p.x.addPosts(POSTS);
});
afterEach(async () => {
  await p.close();
});

const check = (at: string) =>
  checkDeletions({ store: p.c.store, compliance: new ComplianceClient(p.x.url), logger: p.c.logger, days: 30, clock: () => new Date(at) });

async function items(taskId: string): Promise<Item[]> {
  return (await p.blobs()).filter((b) => b.name.startsWith(`job-1/${taskId}/`)).map((b) => JSON.parse(b.body) as Item);
}

async function runTask(taskId: string, start: string, end: string): Promise<void> {
  await p.requestTask(taskId, start, end);
  expect(await p.worker.drain()).toBe(1);
}

describe('deletions found by a lookup by id (DirtyEntities)', () => {
  test('when a DirtyEntity that was archived is answered resource-not-found, then it is recorded once as a deletion and delivered once', async () => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    p.x.deletePost(POSTS[0]!.id);
    const unknown = '1399999999999999999';
    await p.requestTask('t-dirty', '2026-11-22T00:00:00Z', '2026-11-22T23:59:59Z', [POSTS[0]!.id, POSTS[2]!.id, unknown]);
    expect(await p.worker.drain()).toBe(1);
    // The window of that task ended before the deletion was learned (now): the post that is still there is delivered.
    expect((await items('t-dirty')).map((i) => i.Id)).toEqual([POSTS[2]!.id]);
    // An id that was never archived is no deletion of ours.
    expect((await p.c.store.listDeletions(10)).map((d) => [d.postId, d.via])).toEqual([[POSTS[0]!.id, 'lookup']]);

    // The next task whose window covers the time it was learned delivers it; asked for again, it is not recorded twice.
    const now = new Date().toISOString();
    await p.requestTask('t-now', '2026-11-30T00:00:00Z', now, [POSTS[0]!.id]);
    expect(await p.worker.drain()).toBe(1);
    const delivered = await items('t-now');
    expect(delivered.map((i) => i.Id)).toEqual([`${POSTS[0]!.id}-deleted`]);
    expect(delivered[0]!.Content).toContain('through a lookup of the post by id (X answered that it does not exist)');
    expect(delivered[0]!.ParentId).toBe(POSTS[0]!.id);
    expect(await p.c.store.listDeletions(10)).toHaveLength(1);
  });
});

describe('deletions found by batch compliance', () => {
  test('when X reports an archived post deleted, then the next task delivers exactly one TweetDeletion Item for it, and a re-run of that task delivers the same one again', async () => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    expect((await p.c.store.listArchived('job-1', '2026-11-01', 10)).map((a) => a.postId)).toEqual(POSTS.map((x) => x.id));

    p.x.compliance.reportPost(POSTS[1]!.id, { reason: 'deleted', redacted_at: '2026-11-21T02:00:00.000Z' });
    const [result] = await check('2026-11-21T03:30:00.000Z');
    expect(result).toMatchObject({ jobId: 'job-1', ok: true, checked: 3, found: 1, message: null });
    // X was sent exactly the archived ids, one per line, with an app-only token.
    expect(p.x.compliance.jobs).toHaveLength(1);
    expect(p.x.compliance.jobs[0]!.uploadedIds).toEqual(POSTS.map((x) => x.id));
    expect(p.x.compliance.bearerTokens).toHaveLength(1);
    // A second check finds it again but records nothing new.
    expect((await check('2026-11-21T04:00:00.000Z'))[0]).toMatchObject({ ok: true, found: 0 });

    await runTask('t-next', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z');
    const delivered = await items('t-next');
    expect(delivered).toHaveLength(1);
    const [deletion] = delivered;
    expect(deletion).toMatchObject({
      Id: `${POSTS[1]!.id}-deleted`,
      ItemType: 'TweetDeletion',
      ParentId: POSTS[1]!.id,
      ThreadId: String(1300000000000000001n),
      SentTimeUtc: '2026-11-21T03:30:00.000Z',
      ContainerId: ACCOUNT.id,
    });
    expect(deletion!.Content).toBe(
      `X reported that post ${POSTS[1]!.id} was deleted, reason: deleted, at 2026-11-21T02:00:00.000Z.\n` +
        "The connector learned it at 2026-11-21T03:30:00.000Z through X's batch compliance check.\n" +
        `It concerns the archived item ${POSTS[1]!.id} (posted 2026-11-20T09:00:00.000Z), which stays in the archive as it was.`,
    );
    const report = p.events.reports.at(-1)!;
    expect(report.body.itemMetadata).toEqual([{ id: `${POSTS[1]!.id}-deleted`, modificationTimestampUtc: '2026-11-21T03:30:00.000Z', fileName: `${POSTS[1]!.id}-deleted.json` }]);
    // The cap counted it on the day it was learned.
    expect(await p.c.store.dayTotals('2026-11-21')).toEqual([{ jobId: 'job-1', day: '2026-11-21', items: 1, refused: 0 }]);

    // A later task does not deliver it again; a re-run of t-next (same task id) does, to the same blob.
    await runTask('t-later', '2026-11-22T00:00:00Z', '2026-11-22T23:59:59Z');
    expect(await items('t-later')).toEqual([]);
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't-next'))!, reported: false });
    await runTask('t-next', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z');
    expect((await items('t-next')).map((i) => i.Id)).toEqual([`${POSTS[1]!.id}-deleted`]);
    expect((await p.c.store.listDeletions(10)).map((d) => [d.postId, d.claimedBy])).toEqual([[POSTS[1]!.id, 't-next']]);
  });

  test('when a deletion is learned after the task that covers its time has read the deletions, then the next task delivers it', async () => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    // The task of the 21st ran before the check of that day learned anything.
    await runTask('t-21', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z');
    p.x.compliance.reportPost(POSTS[0]!.id);
    await check('2026-11-21T12:00:00.000Z');
    await runTask('t-22', '2026-11-22T00:00:00Z', '2026-11-22T23:59:59Z');
    expect((await items('t-22')).map((i) => i.Id)).toEqual([`${POSTS[0]!.id}-deleted`]);
  });

  test('when a task fails, then its deletions go to the next task', async () => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    p.x.compliance.reportPost(POSTS[2]!.id, { action: 'delete', reason: 'suspended' });
    await check('2026-11-21T03:30:00.000Z');
    // The first run's uploads are refused by its container (an expired SAS): PermanentFailure, nothing archived.
    await p.requestTask('t-fails', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z', null, 'job-1', p.sasUrl.replace(/sig=[^&]+/, 'sig=invalid'));
    expect(await p.worker.drain()).toBe(1);
    expect(p.events.reports.at(-1)!.body.status).toBe(2);
    await runTask('t-after', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z');
    const [deletion] = await items('t-after');
    expect(deletion?.Id).toBe(`${POSTS[2]!.id}-deleted`);
    expect(deletion?.Content).toContain('reason: suspended');
  });

  test('when X refuses batch compliance (the plan lacks it, 403), then the check records what to change, and tasks still succeed', async () => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    p.x.compliance.refuse();
    const [result] = await check('2026-11-21T03:30:00.000Z');
    expect(result).toMatchObject({ jobId: 'job-1', ok: false, found: 0 });
    expect(result!.message).toMatch(/X refused the batch compliance endpoints \(HTTP 403\).*plan/);
    expect(await p.c.store.listDeletionChecks()).toEqual([result]);
    await runTask('t-next', '2026-11-21T00:00:00Z', '2026-11-21T23:59:59Z');
    expect(p.events.reports.at(-1)!.body).toMatchObject({ taskId: 't-next', status: 0 });
  });

  test.each([
    ['the job creation drops its connection', /^\/2\/compliance\/jobs$/, { kind: 'drop' as const }, /X could not be reached/],
    ["the result's download is cut off half-way", /^\/compliance-storage\/.*\/delivery\//, { kind: 'truncate' as const }, /X's compliance result could not be read whole/],
    ['the upload stalls past the timeout', /^\/compliance-storage\/.*\/submission\//, { kind: 'stall' as const }, /no answer within 0\.5 s/],
  ])('when %s, then the check fails clearly, records nothing and the next check succeeds', async (_name, path, fault, message) => {
    await runTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    p.x.compliance.reportPost(POSTS[0]!.id);
    p.x.injectFaults(path, [fault]);
    const compliance = new ComplianceClient(p.x.url, 500);
    const run = () => checkDeletions({ store: p.c.store, compliance, logger: p.c.logger, days: 30, clock: () => new Date('2026-11-21T03:30:00.000Z') });
    const [failed] = await run();
    expect(failed).toMatchObject({ ok: false, found: 0 });
    expect(failed!.message).toMatch(message);
    expect(await p.c.store.listDeletions(10)).toEqual([]);
    // X runs one job per type at a time: the broken one blocks a new one until it expires.
    p.x.compliance.expireUnfinishedJobs();
    const [again] = await run();
    expect(again).toMatchObject({ ok: true, found: 1 });
  });

  test('when a compliance job names its upload and download URLs, then only those (https, or http on loopback) and X_API_BASE_URL may be called', async () => {
    // Loopback http is allowed (tests); anything else is refused before a byte is sent.
    const guard = complianceGuard('https://api.x.com');
    expect(() => guard.onBeforeRequestConfig!({ params: { url: 'http://storage.example.com/upload?sig=1', method: 'PUT' } } as never)).toThrow(/not an address X returned/);
    guard.onAfterRequest!({ params: { url: 'https://api.x.com/2/compliance/jobs', method: 'POST' }, response: { data: { data: { upload_url: 'http://storage.example.com/up', download_url: 'https://storage.googleapis.com/down?sig=2' } } } } as never);
    expect(() => guard.onBeforeRequestConfig!({ params: { url: 'http://storage.example.com/up', method: 'PUT' } } as never)).toThrow(/not an address X returned/);
    expect(guard.onBeforeRequestConfig!({ params: { url: 'https://storage.googleapis.com/down?sig=2', method: 'GET' } } as never)).toBeUndefined();
    expect(() => guard.onBeforeRequestConfig!({ params: { url: 'https://storage.googleapis.com/other', method: 'GET' } } as never)).toThrow(/not an address X returned/);
    expect(guard.onBeforeRequestConfig!({ params: { url: 'https://api.x.com/2/compliance/jobs/1', method: 'GET' } } as never)).toBeUndefined();
  });
});
