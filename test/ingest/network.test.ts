/**
 * Network failures on the ingestion path: X, the media hosts, AAD, the Event API and Blob Storage
 * not answering at all (a dropped or reset connection, half an answer, no answer), as opposed to
 * answering with an HTTP error (faults.test.ts). Each is retried, and a task whose dependency
 * stays unreachable fails with a message naming the service and what happened.
 */
import { randomBytes } from 'node:crypto';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';
import type { FakeXFault, FakeXPost } from '../fakes/xServer';
import type { RetryPolicy } from '../../src/ingest/retry';
import { ACCOUNT } from '../helpers/signIn';
import { FAST_RETRY, startPipeline, type Pipeline } from '../helpers/pipeline';

const START = '2026-11-10T00:00:00Z';
const END = '2026-11-10T23:59:59Z';
const TIMELINE = new RegExp(`^/2/users/${ACCOUNT.id}/tweets$`);
/** Fast backoff, and an attempt that has had no answer for 400 ms is given up and retried. */
const NET_RETRY: RetryPolicy = { ...FAST_RETRY, tryTimeoutMs: 400 };

function posts(n: number): FakeXPost[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(3000000000000000000n + BigInt(1 + i)),
    author_id: ACCOUNT.id,
    text: `post ${1 + i}`,
    created_at: new Date(Date.UTC(2026, 10, 10, 1, 0, 1 + i)).toISOString(),
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

/** Runs one task through a worker with NET_RETRY and returns its report and history. */
async function runTask(taskId: string) {
  await p.requestTask(taskId, START, END);
  await p.newWorker({ retry: NET_RETRY }).drain();
  const [report] = await p.events.waitForReports(1);
  return { report: report!.body, run: (await p.c.store.getTaskRun('job-1', taskId))! };
}

describe('X does not answer in the middle of the timeline', () => {
  const cases: [string, FakeXFault[]][] = [
    ['drops the connection before answering', [{ kind: 'drop' }, { kind: 'drop' }]],
    ['resets the connection', [{ kind: 'reset' }]],
    ['sends half a page and closes the connection', [{ kind: 'truncate' }, { kind: 'truncate' }]],
    ['sends half a page and then nothing', [{ kind: 'truncate', then: 'stall' }]],
    ['sends nothing past the timeout', [{ kind: 'stall' }, { kind: 'stall' }]],
  ];
  test.each(cases)('when X %s, then the page is asked for again and the task reports every item', async (_, faults) => {
    // The first page is answered; the second page's request meets the faults, then X recovers.
    p.x.injectFaults(TIMELINE, [{ kind: 'pass' }, ...faults]);
    const { report, run } = await runTask('t-net');
    expect(report).toMatchObject({ taskId: 't-net', status: 0 });
    expect(report.itemMetadata).toHaveLength(150);
    expect((await p.blobs()).length).toBe(150);
    expect(run).toMatchObject({ status: 'success', items: 150, error: null });
    expect(timelineCalls()).toBe(2 + faults.length);
  });

  test('when a stalled answer has been given up, then the retry does not wait for it and the task takes well under the 30 s default', async () => {
    p.x.injectFaults(TIMELINE, [{ kind: 'stall' }]);
    const started = Date.now();
    const { report } = await runTask('t-stall-first');
    expect(report.itemMetadata).toHaveLength(150);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('when X stays unreachable, then TemporaryFailure is reported with a history naming X and what happened', async () => {
    p.x.injectFaults(TIMELINE, Array.from({ length: 10 }, (): FakeXFault => ({ kind: 'drop' })));
    const { report, run } = await runTask('t-x-down');
    expect(report).toEqual({ taskId: 't-x-down', status: 1, itemMetadata: [] });
    expect(run.status).toBe('temporary_failure');
    expect(run.error).toBe('Reading the account timeline: X could not be reached (the connection was closed before an answer)');
    expect(timelineCalls()).toBe(NET_RETRY.attempts);
    expect(await p.blobs()).toEqual([]);
  });

  test('when X keeps answering half a page, then the history says the answer broke off', async () => {
    p.x.injectFaults(TIMELINE, Array.from({ length: 10 }, (): FakeXFault => ({ kind: 'truncate' })));
    const { report, run } = await runTask('t-x-half');
    expect(report.status).toBe(1);
    expect(run.error).toBe("Reading the account timeline: X's answer broke off before it was complete");
  });

  test('when X keeps stalling, then the history says X did not answer in time', async () => {
    p.x.injectFaults(TIMELINE, Array.from({ length: 10 }, (): FakeXFault => ({ kind: 'stall' })));
    const { report, run } = await runTask('t-x-slow');
    expect(report.status).toBe(1);
    expect(run.error).toBe('Reading the account timeline: X could not be reached (no answer within 0.4 s)');
  });

  test('when X drops the connection while posts are read by id (DirtyEntities), then they are asked for again', async () => {
    p.x.injectFaults(/^\/2\/tweets$/, [{ kind: 'drop' }, { kind: 'truncate' }]);
    const dirty = ['3000000000000000001', '3000000000000000002'];
    await p.requestTask('t-dirty', START, END, dirty);
    await p.newWorker({ retry: NET_RETRY }).drain();
    const [report] = await p.events.waitForReports(1);
    expect(report!.body).toMatchObject({ taskId: 't-dirty', status: 0 });
    expect(report!.body.itemMetadata).toHaveLength(150);
    expect(p.x.requests.filter((r) => r.path === '/2/tweets')).toHaveLength(3);
  });
});

describe('a media host does not answer', () => {
  const cases: [string, FakeXFault[]][] = [
    ['drops the connection', [{ kind: 'drop' }]],
    ['sends half the file and closes the connection', [{ kind: 'truncate' }]],
    ['sends half the file and then nothing', [{ kind: 'truncate', then: 'stall' }]],
    ['sends nothing past the timeout', [{ kind: 'stall' }, { kind: 'reset' }]],
  ];
  test.each(cases)('when the media host %s, then the download is retried and the item has its attachment', async (_, faults) => {
    const photo = randomBytes(64 * 1024);
    const url = p.x.addMediaFile('/media/photo.jpg', photo, 'image/jpeg');
    p.x.addPosts([
      { id: '3100000000000000001', author_id: ACCOUNT.id, text: 'a photo', created_at: '2026-11-10T05:00:00.000Z', media: [{ media_key: '3_1', type: 'photo', url }] },
    ]);
    p.x.injectFaults(/^\/media\/photo\.jpg$/, faults);
    const { report, run } = await runTask('t-media');
    expect(report.itemMetadata).toHaveLength(151);
    const item = JSON.parse((await p.blobs()).find((b) => b.name.endsWith('/3100000000000000001.json'))!.body);
    expect(item.ContentAttachments).toEqual([{ Content: photo.toString('base64'), Uri: url, AttachmentType: 'media', AttachmentFileName: 'photo.jpg' }]);
    expect(run).toMatchObject({ status: 'success', attachmentsSkipped: 0 });
    expect(p.x.requests.filter((r) => r.path === '/media/photo.jpg')).toHaveLength(1 + faults.length);
  });
});

describe('the Event API or AAD does not answer', () => {
  test('when the Event API drops the connection, then the report is sent again and accepted once', async () => {
    p.events.failNext(2, 'drop');
    const { report, run } = await runTask('t-ev-drop');
    expect(report.itemMetadata).toHaveLength(150);
    expect(p.events.attempts.map((a) => a.status)).toEqual([0, 0, 200]);
    expect(p.events.reports).toHaveLength(1);
    expect(run).toMatchObject({ status: 'success', reported: true });
  });

  test('when the Event API sends nothing past the timeout, then the report is sent again and accepted', async () => {
    p.events.failNext(1, 'stall');
    const { report } = await runTask('t-ev-stall');
    expect(report.itemMetadata).toHaveLength(150);
    expect(p.events.attempts.map((a) => a.status)).toEqual([0, 200]);
  });

  test('when the Event API stays unreachable, then the worker names it and what happened, and the task stays queued', async () => {
    p.events.failNext(10, 'drop');
    await p.requestTask('t-ev-down', START, END);
    const worker = p.newWorker({ retry: NET_RETRY });
    await worker.drain();
    expect(p.events.reports).toHaveLength(0);
    expect(worker.state().lastError).toMatch(/^The Event API could not be reached \(the connection was closed before an answer\)/);
    expect(await p.c.store.queueDepth()).toBe(1);
  });

  test('when the AAD token endpoint drops the connection, then a token is asked for again and the report goes through', async () => {
    // The first drop meets the token asked for at task start, the second the report's own request.
    p.aad.failNextTokenRequests(2, 'drop');
    const { report } = await runTask('t-aad-drop');
    expect(report.itemMetadata).toHaveLength(150);
    expect(p.aad.tokenRequests.map((r) => r.status)).toEqual([0, 0, 200]);
  });

  test('when the AAD token endpoint sends nothing past the timeout, then a token is asked for again and the report goes through', async () => {
    p.aad.failNextTokenRequests(2, 'stall');
    const started = Date.now();
    const { report } = await runTask('t-aad-stall');
    // msal sets no timeout of its own on the token request: ours gives up after 0.4 s.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.itemMetadata).toHaveLength(150);
    expect(p.aad.tokenRequests.map((r) => r.status)).toEqual([0, 0, 200]);
  });

  test('when AAD stays unreachable, then the worker names AAD and what happened', async () => {
    p.aad.failNextTokenRequests(10, 'drop');
    await p.requestTask('t-aad-down', START, END);
    const worker = p.newWorker({ retry: NET_RETRY });
    await worker.drain();
    expect(p.events.attempts).toHaveLength(0);
    // msal keeps no more of a network failure than that it happened.
    expect(worker.state().lastError).toMatch(/^Getting an AAD token for the Event API failed: AAD could not be reached \(the network request failed\)/);
  });
});

describe('Blob Storage does not answer', () => {
  test('when nothing listens at the SAS URL, then TemporaryFailure is reported and the history names Azure Blob Storage', async () => {
    const q = await startPipeline({ azurite, env: { ALLOWED_BLOB_HOSTS: '127.0.0.1' } });
    try {
      q.x.addPosts(posts(3));
      const nowhere = new URL(q.sasUrl);
      nowhere.port = '9'; // the discard port: nothing listens, the connection is refused
      await q.requestTask('t-blob-down', START, END, null, 'job-1', nowhere.toString());
      await q.newWorker({ retry: NET_RETRY }).drain();
      const [report] = await q.events.waitForReports(1);
      expect(report!.body).toEqual({ taskId: 't-blob-down', status: 1, itemMetadata: [] });
      const run = await q.c.store.getTaskRun('job-1', 't-blob-down');
      expect(run?.error).toMatch(/^Uploading job-1\/t-blob-down\/\d+\.json to Azure Blob Storage failed: the connection was refused/);
    } finally {
      await q.close();
    }
  });
});
