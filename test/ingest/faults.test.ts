import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';
import type { FakeXPost } from '../fakes/xServer';
import { POST_QUERY } from '../../src/ingest/xPosts';
import { createTwitterApi } from '../../src/x/xClient';
import { ACCOUNT } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { startRefusingProxy } from '../helpers/refusingProxy';
import { storeWith } from '../helpers/storeWith';

const START = '2026-11-10T00:00:00Z';
const END = '2026-11-10T23:59:59Z';
const TIMELINE = new RegExp(`^/2/users/${ACCOUNT.id}/tweets$`);

function posts(n: number, from = 1): FakeXPost[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(3000000000000000000n + BigInt(from + i)),
    author_id: ACCOUNT.id,
    text: `post ${from + i}`,
    created_at: new Date(Date.UTC(2026, 10, 10, 1, 0, from + i)).toISOString(),
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
  p = await startPipeline({ azurite });
  p.x.addPosts(posts(150));
});
afterEach(async () => {
  await p.close();
});

const timelineCalls = () => p.x.requests.filter((r) => TIMELINE.test(r.path)).length;

describe('faults while fetching from X', () => {
  test('when X answers 429, then the worker waits for x-rate-limit-reset and goes on to a complete report', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1;
    p.x.injectFaults(TIMELINE, [
      {
        status: 429,
        headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
        body: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
      },
    ]);
    await p.requestTask('t-429', START, END);
    await p.worker.drain();
    expect(Date.now()).toBeGreaterThanOrEqual(reset * 1000);
    const [report] = await p.events.waitForReports(1);
    expect(report!.body.status).toBe(0);
    expect(report!.body.itemMetadata).toHaveLength(150);
    expect(timelineCalls()).toBe(3); // the refused call, then two pages
  });

  test('when a page leaves no request in the rate-limit window, then the next page is asked for after the reset', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 2;
    p.x.injectFaults(TIMELINE, [{ status: 200, body: await firstPage(true), headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } }]);
    const pagesAt: number[] = [];
    const log = p.x.requests;
    const push = log.push.bind(log);
    log.push = (...r) => {
      if (r.some((x) => TIMELINE.test(x.path))) pagesAt.push(Date.now());
      return push(...r);
    };
    await p.requestTask('t-last-request', START, END);
    await p.worker.drain();
    expect(pagesAt).toHaveLength(2);
    expect(pagesAt[1]).toBeGreaterThanOrEqual(reset * 1000);
    expect(log.filter((r) => TIMELINE.test(r.path))[1]?.query['pagination_token']).toBeDefined();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body.itemMetadata).toHaveLength(150);
  });

  test('when the last page leaves no request in the rate-limit window, then the task does not wait for the reset', async () => {
    // The reset is beyond the test's timeout: waiting for it would fail the test.
    const reset = Math.ceil(Date.now() / 1000) + 600;
    p.x.injectFaults(TIMELINE, [{ status: 200, body: await firstPage(false), headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } }]);
    await p.requestTask('t-last-page', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toMatchObject({ taskId: 't-last-page', status: 0 });
    expect(report!.body.itemMetadata).toHaveLength(100);
    expect(timelineCalls()).toBe(1);
  });

  test('when X answers 503 three times, then the retries succeed and the report is complete', async () => {
    p.x.injectFaults(TIMELINE, [{ status: 503 }, { status: 503 }, { status: 503 }]);
    await p.requestTask('t-503', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toMatchObject({ taskId: 't-503', status: 0 });
    expect(report!.body.itemMetadata).toHaveLength(150);
    expect((await p.blobs()).length).toBe(150);
  });

  test('when X keeps failing past the retries, then TemporaryFailure is reported, nothing is uploaded and SinceId stays', async () => {
    p.x.injectFaults(TIMELINE, Array.from({ length: 10 }, () => ({ status: 503 })));
    await p.requestTask('t-down', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-down', status: 1, itemMetadata: [] });
    expect(await p.blobs()).toEqual([]);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBeNull();
    expect(await p.c.store.getTaskRun('job-1', 't-down')).toMatchObject({ status: 'temporary_failure', reported: true });
    expect((await p.c.store.getTaskRun('job-1', 't-down'))?.error).toContain('503');
  });

  test('when a page fails halfway through the window, then nothing half-done is reported as success', async () => {
    // The first page answers (with a next_token), every later call fails.
    const first = await firstPage(true);
    p.x.injectFaults(TIMELINE, [{ status: 200, body: first }, ...Array.from({ length: 10 }, () => ({ status: 502 }))]);
    await p.requestTask('t-half', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-half', status: 1, itemMetadata: [] });
    expect(await p.blobs()).toEqual([]);
    expect(timelineCalls()).toBeGreaterThan(2);
  });

  test('when X refuses the tokens (401), then PermanentFailure is reported and the job needs sign-in again', async () => {
    p.x.injectFaults(TIMELINE, [{ status: 401, body: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } }]);
    await p.requestTask('t-401', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-401', status: 2, itemMetadata: [] });
    expect((await p.c.store.getJob('job-1'))?.needsRelogin).toBe(true);
    expect(timelineCalls()).toBe(1); // not retried
  });

  test('when X answers only errors for the account (deleted or suspended), then PermanentFailure is reported, not an empty success', async () => {
    const gone = { errors: [{ value: ACCOUNT.id, detail: `Could not find user with id: [${ACCOUNT.id}].`, title: 'Not Found Error', resource_type: 'user', parameter: 'id', resource_id: ACCOUNT.id, type: 'https://api.twitter.com/2/problems/resource-not-found' }] };
    p.x.injectFaults(TIMELINE, [{ status: 200, body: gone }]);
    await p.requestTask('t-gone', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-gone', status: 2, itemMetadata: [] });
    expect((await p.c.store.getTaskRun('job-1', 't-gone'))?.error).toContain('Could not find user');
    expect((await p.c.store.getJob('job-1'))?.needsRelogin).toBe(false);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBeNull();
    expect(timelineCalls()).toBe(1); // not retried
  });
});

describe("windows reaching before X's timelines begin (2010-11-06)", () => {
  test('when the window starts before 2010-11-06, then X is asked from that day on and every post is reported', async () => {
    await p.requestTask('t-old-start', '2009-01-01T00:00:00Z', END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toMatchObject({ taskId: 't-old-start', status: 0 });
    expect(report!.body.itemMetadata).toHaveLength(150);
    const first = p.x.requests.find((r) => TIMELINE.test(r.path))!;
    expect(first.query).toMatchObject({ start_time: '2010-11-06T00:00:00.000Z', end_time: '2026-11-10T23:59:59.000Z' });
  });

  test('when the whole window is before 2010-11-06, then X is not called and an empty success is reported', async () => {
    await p.requestTask('t-before-x', '2009-01-01T00:00:00Z', '2010-11-06T00:00:00Z');
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-before-x', status: 0, itemMetadata: [] });
    expect(timelineCalls()).toBe(0);
  });
});

describe('shutdown', () => {
  test('when shutdown begins while a task is being leased, then the task goes back to the queue at once and is not run', async () => {
    await p.requestTask('t-stop', START, END);
    let taken!: () => void;
    const leaseTaken = new Promise<void>((resolve) => (taken = resolve));
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const store = p.c.store;
    // The store's answer to leaseTask is held back until stop() has begun.
    const slow = storeWith(store, {
      leaseTask: async (ms: number) => {
        const lease = await store.leaseTask(ms);
        taken();
        await answered;
        return lease;
      },
    });
    const worker = p.newWorker({ store: slow });
    const draining = worker.drain();
    await leaseTaken;
    const stopped = worker.stop();
    answer();
    await stopped;
    expect(await draining).toBe(0);
    expect(p.events.reports).toHaveLength(0);
    expect((await store.leaseTask(60_000))?.task.taskId).toBe('t-stop'); // visible again without waiting out the lease
  });
});

describe('lease', () => {
  test('when the lease cannot be extended before it runs out, then the run stops and nothing is reported', async () => {
    // X makes the task wait (a 429 with its reset seconds away) while the store refuses every extension.
    const reset = Math.ceil(Date.now() / 1000) + 4;
    p.x.injectFaults(TIMELINE, [{ status: 429, headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } }]);
    await p.requestTask('t-unkept', START, END);
    let extendCalls = 0;
    const store = storeWith(p.c.store, {
      extendLease: () => {
        extendCalls++;
        return Promise.reject(new Error('store unreachable'));
      },
    });
    // 1.5 s hidden, a beat every 1 s: the first failed beat leaves too little of the lease.
    const worker = p.newWorker({ store, visibilityMs: 1500 });
    expect(await worker.runOnce()).toBeUndefined();
    expect(extendCalls).toBe(1);
    expect(worker.state().lastError).toContain('may have run out');
    expect(p.events.reports).toHaveLength(0);
    expect(await p.blobs()).toEqual([]);
    expect(await p.c.store.queueDepth()).toBe(1); // still queued, for whoever leases it next
  });

  test("when the lease is lost, then the run stops without giving back counts or writing history, as the task is another worker's now", async () => {
    await p.requestTask('t-taken', START, END);
    await p.worker.drain();
    // Its report did not get through, and the task is run again.
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't-taken'))!, reported: false });
    await p.requestTask('t-taken', START, END);
    const reset = Math.ceil(Date.now() / 1000) + 4;
    p.x.injectFaults(TIMELINE, [{ status: 429, headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } }]);
    const store = storeWith(p.c.store, { extendLease: () => Promise.resolve(false) });
    expect(await p.newWorker({ store, visibilityMs: 1500 }).runOnce()).toBeUndefined();
    expect(p.events.reports).toHaveLength(1);
    expect(await p.c.store.dayTotals('2026-11-10')).toEqual([{ jobId: 'job-1', day: '2026-11-10', items: 150, refused: 0 }]);
    expect(await p.c.store.getTaskRun('job-1', 't-taken')).toMatchObject({ status: 'running', reservedDays: ['2026-11-10'] });
  });

  test('when one extension fails with enough of the lease left, then the run goes on and reports once', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 5;
    p.x.injectFaults(TIMELINE, [{ status: 429, headers: { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } }]);
    await p.requestTask('t-one-miss', START, END);
    const outcomes: string[] = [];
    const store = storeWith(p.c.store, {
      extendLease: (lease, ms) => {
        if (outcomes.push(outcomes.length === 0 ? 'refused' : 'kept') === 1) return Promise.reject(new Error('store unreachable'));
        return p.c.store.extendLease(lease, ms);
      },
    });
    // 3 s hidden, a beat every 1 s: after the first beat fails, 2 s of the lease are still known.
    const run = await p.newWorker({ store, visibilityMs: 3000 }).runOnce();
    expect(run).toMatchObject({ status: 'success', items: 150, reported: true });
    expect(outcomes.slice(0, 2)).toEqual(['refused', 'kept']);
    expect(p.events.reports).toHaveLength(1);
  });
});

describe('faults while reporting', () => {
  test('when the Event API answers 503 twice, then the report is retried until accepted, once', async () => {
    p.events.failNext(2, 503);
    await p.requestTask('t-ev', START, END);
    await p.worker.drain();
    const reports = await p.events.waitForReports(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.body.itemMetadata).toHaveLength(150);
    expect(p.events.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(await p.c.store.getTaskRun('job-1', 't-ev')).toMatchObject({ status: 'success', reported: true });
    expect(await p.c.store.queueDepth()).toBe(0);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBe(String(3000000000000000000n + 150n));
  });

  test('when the AAD token endpoint fails, then a new token is asked for and the report goes through', async () => {
    // The first failure meets the token asked for at task start, the second the report's own request, which retries.
    p.aad.failNextTokenRequests(2, 503);
    await p.requestTask('t-aad', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body.itemMetadata).toHaveLength(150);
    expect(p.aad.tokenRequests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  test('when the Event API stays down, then the task stays queued, SinceId stays, and a later run reports it once', async () => {
    p.events.failNext(4, 503);
    const worker = p.newWorker({ visibilityMs: 1000 });
    await p.requestTask('t-down-ev', START, END);
    await worker.drain();
    expect(p.events.reports).toHaveLength(0);
    expect(await p.c.store.queueDepth()).toBe(1);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBeNull();
    expect((await p.c.store.getTaskRun('job-1', 't-down-ev'))?.reported).toBe(false);
    // After the visibility timeout the task is leased again and finishes.
    const deadline = Date.now() + 10_000;
    // A lease expiring is a point in time, not an event: poll the queue until then.
    while (p.events.reports.length === 0 && Date.now() < deadline) {
      await worker.drain();
      if (p.events.reports.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(p.events.reports).toHaveLength(1);
    expect(p.events.reports[0]!.body.itemMetadata).toHaveLength(150);
    expect(await p.c.store.queueDepth()).toBe(0);
  });
});

describe('faults while uploading', () => {
  test('when uploads start being refused halfway, then the failure report lists no items and the day keeps no count', async () => {
    const q = await startPipeline({ azurite, env: { ALLOWED_BLOB_HOSTS: '127.0.0.1' } });
    const proxy = await startRefusingProxy(azurite.blobUrl, 20);
    try {
      q.x.addPosts(posts(150));
      const viaProxy = new URL(q.sasUrl);
      viaProxy.host = new URL(proxy.url).host;
      await q.requestTask('t-sas-expired', START, END, null, 'job-1', viaProxy.toString());
      await q.worker.drain();
      const [report] = await q.events.waitForReports(1);
      // As the original: a failed task reports no items, so nothing of it is imported or counted.
      expect(report!.body).toEqual({ taskId: 't-sas-expired', status: 2, itemMetadata: [] });
      expect(proxy.passed).toBe(20);
      expect((await q.blobs()).length).toBe(20);
      expect(await q.c.store.dayTotals('2026-11-10')).toEqual([]);
      expect(await q.c.store.getTaskRun('job-1', 't-sas-expired')).toMatchObject({ status: 'permanent_failure', reported: true });
    } finally {
      await proxy.close();
      await q.close();
    }
  });
});

describe('local disk', () => {
  test("when the task's spool file cannot be opened, then TemporaryFailure is reported and the process goes on", async () => {
    // A directory where the spool's file should be: opening it fails (EISDIR), as a full or read-only disk would.
    mkdirSync(join(p.c.config.dataDir, 'spool', 'job-1', 't-disk.pages.jsonl'), { recursive: true });
    await p.requestTask('t-disk', START, END);
    await p.worker.drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toEqual({ taskId: 't-disk', status: 1, itemMetadata: [] });
    expect((await p.c.store.getTaskRun('job-1', 't-disk'))?.error).toContain('cannot be written');
    expect(await p.blobs()).toEqual([]);
    // The reported task leaves the queue, though its spool could not be removed either.
    expect(await p.c.store.queueDepth()).toBe(0);
    expect(p.worker.state().lastError).toBeNull();
  });
});

describe('a run that stops right after its report is accepted', () => {
  test('when the run stops before it moves SinceId, then the next lease finishes that, cleans its spool and does not report again', async () => {
    await p.requestTask('t-half-kept', START, END);
    const store = storeWith(p.c.store, { advanceSinceId: () => Promise.reject(new Error('the process stops here')) });
    expect(await p.newWorker({ store, visibilityMs: 1000 }).runOnce()).toBeUndefined();
    expect(p.events.reports).toHaveLength(1);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBeNull();
    expect(await p.c.store.getTaskRun('job-1', 't-half-kept')).toMatchObject({ reported: true, newestId: String(3000000000000000000n + 150n) });
    // What a process killed at that point leaves behind: the task still leased, its spool on disk.
    const spoolDir = join(p.c.config.dataDir, 'spool', 'job-1');
    writeFileSync(join(spoolDir, 't-half-kept.pages.jsonl'), '{}\n');

    const worker = p.newWorker({ visibilityMs: 1000 });
    const deadline = Date.now() + 10_000;
    // A lease expiring is a point in time, not an event: poll the queue until then.
    while ((await p.c.store.queueDepth()) > 0 && Date.now() < deadline) {
      if ((await worker.runOnce()) === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(await p.c.store.queueDepth()).toBe(0);
    expect(p.events.reports).toHaveLength(1);
    expect(p.events.attempts).toHaveLength(1);
    expect((await p.c.store.getJob('job-1'))?.sinceId).toBe(String(3000000000000000000n + 150n));
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});

describe('attachments', () => {
  test('when an attachment is over MAX_ATTACHMENT_MB or on a host not allowed, then it keeps its Uri without Content and is counted', async () => {
    const small = randomBytes(500);
    const smallUrl = p.x.addMediaFile('/media/small.jpg', small, 'image/jpeg');
    const bigUrl = p.x.addMediaFile('/media/big.jpg', randomBytes(10 * 1024 * 1024 + 1), 'image/jpeg');
    p.x.addPosts([
      {
        id: '3100000000000000001',
        author_id: ACCOUNT.id,
        text: 'three photos',
        created_at: '2026-11-10T05:00:00.000Z',
        media: [
          { media_key: '3_1', type: 'photo', url: smallUrl },
          { media_key: '3_2', type: 'photo', url: bigUrl },
          { media_key: '3_3', type: 'photo', url: 'https://elsewhere.example/photo.jpg' },
        ],
      },
    ]);
    await p.requestTask('t-media', START, END);
    await p.worker.drain();
    const blob = (await p.blobs()).find((b) => b.name.endsWith('/3100000000000000001.json'));
    const item = JSON.parse(blob!.body);
    expect(item.ContentAttachments).toEqual([
      { Content: small.toString('base64'), Uri: smallUrl, AttachmentType: 'media', AttachmentFileName: 'small.jpg' },
      { Content: null, Uri: bigUrl, AttachmentType: 'media', AttachmentFileName: 'big.jpg' },
      { Content: null, Uri: 'https://elsewhere.example/photo.jpg', AttachmentType: 'media', AttachmentFileName: 'photo.jpg' },
    ]);
    expect(await p.c.store.getTaskRun('job-1', 't-media')).toMatchObject({ status: 'success', items: 151, attachmentsSkipped: 2 });
    // The host outside the allowlist was never contacted.
    expect(p.x.requests.filter((r) => r.path.startsWith('/media/')).map((r) => r.path).sort()).toEqual(['/media/big.jpg', '/media/small.jpg']);
  });

  test('when a retweet shows an original with a skipped attachment, then it is downloaded once and counted once', async () => {
    const bigUrl = p.x.addMediaFile('/media/big-rt.jpg', randomBytes(10 * 1024 * 1024 + 1), 'image/jpeg');
    p.x.addPosts([
      // The original, a day before the window: it is only there as the retweet's referenced post.
      { id: '3100000000000000050', author_id: ACCOUNT.id, text: 'a big photo', created_at: '2026-11-09T05:00:00.000Z', media: [{ media_key: '3_50', type: 'photo', url: bigUrl }] },
      { id: '3100000000000000002', author_id: ACCOUNT.id, text: 'RT @x: a big photo', created_at: '2026-11-10T06:00:00.000Z', referenced_tweets: [{ type: 'retweeted', id: '3100000000000000050' }] },
    ]);
    await p.requestTask('t-rt-media', START, END);
    await p.worker.drain();
    const item = JSON.parse((await p.blobs()).find((b) => b.name.endsWith('/3100000000000000002.json'))!.body);
    // The retweet's own attachments and its PreContext's are the same one file.
    expect(item.ContentAttachments).toEqual([{ Content: null, Uri: bigUrl, AttachmentType: 'media', AttachmentFileName: 'big-rt.jpg' }]);
    expect(item.PreContext[0].ContentAttachments).toEqual(item.ContentAttachments);
    expect(await p.c.store.getTaskRun('job-1', 't-rt-media')).toMatchObject({ status: 'success', items: 151, attachmentsSkipped: 1 });
    expect(p.x.requests.filter((r) => r.path === '/media/big-rt.jpg')).toHaveLength(1);
  });
});

/** The window's first page as X sends it: with its real next_token, or as if it were the last one. */
async function firstPage(withNext: boolean): Promise<unknown> {
  const job = (await p.c.store.getJob('job-1'))!;
  const s = await p.c.store.getSettings();
  const client = createTwitterApi(p.x.url, { appKey: s.TwitterApiKey!, appSecret: s.TwitterApiSecretKey!, accessToken: job.accessToken!, accessSecret: job.accessSecret! });
  const page = await client.v2.get<{ meta: { next_token?: string } }>(`users/${ACCOUNT.id}/tweets`, { ...POST_QUERY, max_results: '100', start_time: START, end_time: END });
  if (!withNext) delete page.meta.next_token;
  p.x.requests.length = 0; // this call is the test's, not the worker's
  return page;
}
