import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';
import type { FakeXPost } from '../fakes/xServer';
import { ACCOUNT } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { storeWith } from '../helpers/storeWith';

const CAP = 5;
let seq = 0;

/** n posts of the account on `day` (YYYY-MM-DD), from `hour` on, one a minute. */
function onDay(day: string, n: number, hour = 1): FakeXPost[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(4000000000000000000n + BigInt(++seq)),
    author_id: ACCOUNT.id,
    text: `post ${seq} on ${day}`,
    created_at: `${day}T${String(hour).padStart(2, '0')}:${String(i).padStart(2, '0')}:00.000Z`,
  }));
}

let azurite: AzuriteHandle;
let p: Pipeline;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});
beforeEach(async () => {
  p = await startPipeline({ azurite, env: { DAILY_ITEM_CAP: String(CAP) } });
});
afterEach(async () => {
  await p.close();
});

describe('daily item cap (DAILY_ITEM_CAP, per UTC day of SentTimeUtc, across the job)', () => {
  test('when a day has exactly the cap, then all of its items are uploaded', async () => {
    p.x.addPosts(onDay('2026-11-03', CAP));
    await p.requestTask('t1', '2026-11-03T00:00:00Z', '2026-11-03T23:59:59Z');
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body.status).toBe(0);
    expect(report!.body.itemMetadata).toHaveLength(CAP);
    expect((await p.blobs()).length).toBe(CAP);
  });

  test('when one day has cap + 1, then none of that day is uploaded and the other days are', async () => {
    const over = onDay('2026-11-04', CAP + 1);
    const fine = onDay('2026-11-05', 2);
    p.x.addPosts([...over, ...fine]);
    await p.requestTask('t1', '2026-11-04T00:00:00Z', '2026-11-05T23:59:59Z');
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body.status).toBe(0);
    expect(report!.body.itemMetadata.map((m) => m.id).sort()).toEqual(fine.map((x) => x.id).sort());
    const names = (await p.blobs()).map((b) => b.name);
    expect(names).toHaveLength(2);
    for (const post of over) expect(names).not.toContain(`job-1/t1/${post.id}.json`);
    const run = await p.c.store.getTaskRun('job-1', 't1');
    expect(run).toMatchObject({ status: 'success', items: 2, daysOverCap: ['2026-11-04'] });
    expect(run?.error).toContain('2026-11-04');
    const totals = await p.c.store.dayTotals('2026-11-01');
    expect(totals).toEqual([
      { jobId: 'job-1', day: '2026-11-04', items: 0, refused: CAP + 1 },
      { jobId: 'job-1', day: '2026-11-05', items: 2, refused: 0 },
    ]);
  });

  test('when two tasks of one day add up past the cap, then the second gets none of it and reports PermanentFailure', async () => {
    const morning = onDay('2026-11-06', 3, 6);
    const evening = onDay('2026-11-06', 3, 18);
    p.x.addPosts([...morning, ...evening]);
    await p.requestTask('morning', '2026-11-06T00:00:00Z', '2026-11-06T11:59:59Z');
    await p.requestTask('evening', '2026-11-06T12:00:00Z', '2026-11-06T23:59:59Z');
    await p.worker.drain();
    const reports = await p.events.waitForReports(2);
    const byTask = new Map(reports.map((r) => [r.body.taskId, r.body]));
    expect(byTask.get('morning')).toMatchObject({ status: 0 });
    expect(byTask.get('morning')!.itemMetadata).toHaveLength(3);
    expect(byTask.get('evening')).toEqual({ taskId: 'evening', status: 2, itemMetadata: [] });
    expect((await p.blobs()).every((b) => b.name.startsWith('job-1/morning/'))).toBe(true);
    expect(await p.c.store.getTaskRun('job-1', 'evening')).toMatchObject({ status: 'permanent_failure', daysOverCap: ['2026-11-06'] });
  });

  test('when a task fails after counting, then its count is given back and a later task of that day is uploaded', async () => {
    p.x.addPosts([...onDay('2026-11-08', 3, 6), ...onDay('2026-11-08', 3, 18)]);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(new URL(p.sasUrl).pathname.split('/')[2]!);
    await container.delete(); // the morning's uploads are refused (404): PermanentFailure after counting
    await p.requestTask('morning', '2026-11-08T00:00:00Z', '2026-11-08T11:59:59Z');
    await p.worker.drain();
    expect((await p.events.waitForReports(1))[0]!.body).toEqual({ taskId: 'morning', status: 2, itemMetadata: [] });
    await container.createIfNotExists();
    await p.requestTask('evening', '2026-11-08T12:00:00Z', '2026-11-08T23:59:59Z');
    await p.worker.drain();
    const evening = (await p.events.waitForReports(2))[1]!.body;
    expect(evening).toMatchObject({ taskId: 'evening', status: 0 });
    expect(evening.itemMetadata).toHaveLength(3); // 3 + 3 would be over the cap of 5 had the morning kept its count
    expect(await p.c.store.dayTotals('2026-11-08')).toEqual([{ jobId: 'job-1', day: '2026-11-08', items: 3, refused: 0 }]);
  });

  test('when a task is retried, then its own earlier count does not use up the cap', async () => {
    p.x.addPosts(onDay('2026-11-07', 4));
    await p.requestTask('t1', '2026-11-07T00:00:00Z', '2026-11-07T23:59:59Z');
    await p.worker.drain();
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't1'))!, reported: false });
    await p.requestTask('t1', '2026-11-07T00:00:00Z', '2026-11-07T23:59:59Z');
    await p.worker.drain();
    const reports = await p.events.waitForReports(2);
    expect(reports.map((r) => r.body.itemMetadata.length)).toEqual([4, 4]);
    expect(await p.c.store.dayTotals('2026-11-07')).toEqual([{ jobId: 'job-1', day: '2026-11-07', items: 4, refused: 0 }]);
  });

  test('when a task that counted is run again and fails before counting, then its earlier count is given back', async () => {
    p.x.addPosts(onDay('2026-11-06', 4));
    await p.requestTask('t1', '2026-11-06T00:00:00Z', '2026-11-06T23:59:59Z');
    await p.worker.drain();
    // Its report never got through, and by the next run X refuses the job's tokens.
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't1'))!, reported: false });
    p.x.injectFaults(/\/tweets$/, [{ status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } }]);
    await p.requestTask('t1', '2026-11-06T00:00:00Z', '2026-11-06T23:59:59Z');
    await p.worker.drain();
    const reports = await p.events.waitForReports(2);
    expect(reports[1]!.body).toEqual({ taskId: 't1', status: 2, itemMetadata: [] });
    expect(await p.c.store.dayTotals('2026-11-06')).toEqual([]);
    expect((await p.c.store.getTaskRun('job-1', 't1'))?.reservedDays).toEqual([]);
  });

  test('when a run stops right after counting, then a later failing run of the task still gives that count back', async () => {
    p.x.addPosts(onDay('2026-11-04', 3));
    await p.requestTask('t1', '2026-11-04T00:00:00Z', '2026-11-04T23:59:59Z');
    let counted = false;
    const store = storeWith(p.c.store, {
      reserveDays: async (...args) => {
        const r = await p.c.store.reserveDays(...args);
        counted = true;
        return r;
      },
      // From the moment it has counted, this run's store writes fail: it stops as a killed process would.
      recordTaskRun: (run) => (counted ? Promise.reject(new Error('the process stops here')) : p.c.store.recordTaskRun(run)),
    });
    expect(await p.newWorker({ store, visibilityMs: 1000 }).runOnce()).toBeUndefined();
    expect(await p.c.store.dayTotals('2026-11-04')).toEqual([{ jobId: 'job-1', day: '2026-11-04', items: 3, refused: 0 }]);

    // The task is leased again once its lease runs out, and this time X refuses the tokens.
    p.x.injectFaults(/\/tweets$/, [{ status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } }]);
    const worker = p.newWorker({ visibilityMs: 1000 });
    const deadline = Date.now() + 10_000;
    // A lease expiring is a point in time, not an event: poll the queue until then.
    while ((await p.c.store.queueDepth()) > 0 && Date.now() < deadline) {
      if ((await worker.runOnce()) === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect((await p.events.waitForReports(1))[0]!.body).toEqual({ taskId: 't1', status: 2, itemMetadata: [] });
    expect(await p.c.store.dayTotals('2026-11-04')).toEqual([]);
  });

  test('when a task is run again without items on a day it counted before, then that day gets its count back', async () => {
    const [older] = onDay('2026-11-01', 1);
    p.x.addPosts([older!, ...onDay('2026-11-05', 2)]);
    // The first run re-uploads an edited older post (DirtyEntities); the second is asked without it.
    await p.requestTask('t1', '2026-11-05T00:00:00Z', '2026-11-05T23:59:59Z', [older!.id]);
    await p.worker.drain();
    expect(await p.c.store.dayTotals('2026-11-01')).toEqual([
      { jobId: 'job-1', day: '2026-11-01', items: 1, refused: 0 },
      { jobId: 'job-1', day: '2026-11-05', items: 2, refused: 0 },
    ]);
    await p.requestTask('t1', '2026-11-05T00:00:00Z', '2026-11-05T23:59:59Z');
    await p.worker.drain();
    expect((await p.events.waitForReports(2))[1]!.body.itemMetadata).toHaveLength(2);
    expect(await p.c.store.dayTotals('2026-11-01')).toEqual([{ jobId: 'job-1', day: '2026-11-05', items: 2, refused: 0 }]);
  });
});
