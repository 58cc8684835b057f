import { verifyAuditChain } from '../../src/audit/verifyChain';
import { checkDeletions } from '../../src/ingest/deletionCheck';
import { ComplianceClient } from '../../src/x/complianceClient';
import type { FakeXPost } from '../fakes/xServer';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT } from '../helpers/signIn';

/** The worker's side of the audit log: tasks reported and deletions found, on the real pipeline. */
let p: Pipeline;

const DAY = '2026-11-20';
const post = (n: number): FakeXPost => ({
  id: String(1300000000000000000n + BigInt(n)),
  author_id: ACCOUNT.id,
  text: `post ${n}`,
  created_at: `${DAY}T0${n}:00:00.000Z`,
});
const POSTS = [post(1), post(2), post(3)];

beforeEach(async () => {
  p = await startPipeline();
  p.x.addPosts(POSTS);
});
afterEach(async () => {
  await p.close();
});

const since = async (seq: number) => (await p.c.store.listAudit({ order: 'oldest', after: seq })).map((e) => ({ kind: e.kind, details: e.details }));

describe('what the worker records in the audit log', () => {
  test('when a task is reported, then one entry says its status and item count; a lease that finds it reported already adds none', async () => {
    const head = (await p.c.store.auditHead())!.seq;
    await p.requestTask('t-1', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    expect(await p.worker.drain()).toBe(1);
    expect(await since(head)).toEqual([
      { kind: 'task.queued', details: expect.objectContaining({ jobId: 'job-1', taskId: 't-1' }) },
      { kind: 'task.reported', details: { jobId: 'job-1', taskId: 't-1', status: 'success', items: 3, manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    ]);
    // A worker that stopped after the report and before completing the task leaves it queued: the
    // next lease finds it reported already, reports nothing, and records nothing.
    const run = (await p.c.store.listTaskRuns(1))[0]!;
    await p.c.store.enqueueTask({ jobId: 'job-1', taskId: run.taskId, startTime: run.windowStart, endTime: run.windowEnd, dirtyEntities: null, blobSasUri: p.sasUrl, enqueuedAt: new Date().toISOString() });
    const reports = p.events.reports.length;
    expect(await p.worker.drain()).toBe(1);
    expect(p.events.reports.length).toBe(reports);
    expect((await since(head)).map((e) => e.kind)).toEqual(['task.queued', 'task.reported']);
    expect(await verifyAuditChain(p.c.store)).toMatchObject({ ok: true });
  });

  test('when deletions are found by a lookup by id and by batch compliance, then each is one entry, however often it is found again', async () => {
    await p.requestTask('t-posts', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    expect(await p.worker.drain()).toBe(1);
    const head = (await p.c.store.auditHead())!.seq;

    p.x.deletePost(POSTS[0]!.id);
    await p.requestTask('t-dirty', '2026-11-22T00:00:00Z', '2026-11-22T23:59:59Z', [POSTS[0]!.id]);
    expect(await p.worker.drain()).toBe(1);
    p.x.compliance.reportPost(POSTS[1]!.id, { reason: 'deleted', redacted_at: '2026-11-21T02:00:00.000Z' });
    const check = (at: string) =>
      checkDeletions({ store: p.c.store, compliance: new ComplianceClient(p.x.url), logger: p.c.logger, days: 30, clock: () => new Date(at) });
    await check('2026-11-23T03:30:00.000Z');
    await check('2026-11-23T04:30:00.000Z');

    const found = (await since(head)).filter((e) => e.kind === 'deletion.found');
    expect(found).toEqual([
      { kind: 'deletion.found', details: { jobId: 'job-1', taskId: 't-dirty', postId: POSTS[0]!.id, via: 'lookup' } },
      { kind: 'deletion.found', details: { jobId: 'job-1', postId: POSTS[1]!.id, action: 'delete', reason: 'deleted', via: 'compliance' } },
    ]);
  });
});
