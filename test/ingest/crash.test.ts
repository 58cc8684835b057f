import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeXPost } from '../fakes/xServer';
import { API_SECRET_KEY, TENANT_ID } from '../helpers/connector';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { recordRecovery, spawnConnector } from '../helpers/processes';
import { ACCOUNT } from '../helpers/signIn';

const N = 250;

let p: Pipeline;
let caFile: string;

beforeAll(async () => {
  p = await startPipeline();
  caFile = join(p.c.dataDir, 'fake-aad-ca.pem');
  writeFileSync(caFile, p.aad.caPem);
});

afterAll(async () => {
  await p.close();
});

function workerEnv(): Record<string, string> {
  return {
    TENANT_ID,
    API_SECRET_KEY,
    DATA_DIR: p.c.dataDir,
    X_API_BASE_URL: p.x.url,
    AAD_AUTHORITY_HOST: p.aad.url,
    EVENT_API_BASE_URL: p.events.baseUrl,
    ALLOWED_BLOB_HOSTS: new URL(p.azurite.blobUrl).host,
    ALLOWED_MEDIA_HOSTS: new URL(p.x.url).host,
    INGEST_CRON: '* * * * * *',
    // TASK_VISIBILITY_SECONDS is left at its default (300 s): the restart must not wait it out.
    // msal in the child trusts the fake authority's self-signed certificate this way.
    NODE_EXTRA_CA_CERTS: caFile,
  };
}

/** Resolves when check() holds; polls the blob store, which has no events to wait on. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('when a worker process is killed (SIGKILL) mid-task and another starts, then the task is reported once with every item, no blob duplicated or missing', async () => {
  const photo = p.x.addMediaFile('/media/stall.jpg', Buffer.alloc(2048, 7), 'image/jpeg');
  const posts: FakeXPost[] = Array.from({ length: N }, (_, i) => ({
    id: String(5000000000000000000n + BigInt(i + 1)),
    author_id: ACCOUNT.id,
    text: `post ${i + 1}`,
    created_at: new Date(Date.UTC(2026, 10, 12, 0, 0, i)).toISOString(),
    // One post on the second page (newest first) has a photo whose host keeps failing: the first
    // worker stalls there in its retries, after the first page is already in Blob Storage.
    ...(i === N - 150 ? { media: [{ media_key: '3_9', type: 'photo' as const, url: photo }] } : {}),
  }));
  p.x.addPosts(posts);
  p.x.injectFaults(/^\/media\/stall\.jpg$/, Array.from({ length: 5 }, () => ({ status: 503 })));
  await p.requestTask('t-crash', '2026-11-12T00:00:00Z', '2026-11-12T23:59:59Z');

  const first = await spawnConnector('worker', workerEnv());
  await until(async () => (await p.blobs()).length >= 100 && p.x.requests.some((r) => r.path === '/media/stall.jpg'), 'the first page to be uploaded');
  await first.stop('SIGKILL');
  const partial = (await p.blobs()).length;
  expect(partial).toBeGreaterThanOrEqual(100);
  expect(partial).toBeLessThan(N);
  expect(p.events.reports).toHaveLength(0);
  expect((await p.c.store.getJob('job-1'))?.sinceId).toBeNull();

  const restartedAt = Date.now();
  const second = await spawnConnector('worker', workerEnv());
  try {
    // Within 60 s of the restart, with the default visibility: the dead worker's lease is handed back at once.
    const [report] = await p.events.waitForReports(1, 60_000);
    const seconds = (Date.now() - restartedAt) / 1000;
    expect(seconds).toBeLessThan(60);
    recordRecovery('sqlite', seconds);
    await second.waitForLog((l) => l['msg'] === 'task held by a process that is gone; returned to the queue' && l['taskId'] === 't-crash');
    expect(report!.body.status).toBe(0);
    const ids = report!.body.itemMetadata.map((m) => m.id);
    expect(new Set(ids).size).toBe(N);
    expect(ids.sort()).toEqual(posts.map((x) => x.id).sort());
    const names = (await p.blobs()).map((b) => b.name);
    expect(names).toHaveLength(N);
    expect(new Set(names).size).toBe(N);
    expect(names.sort()).toEqual(posts.map((x) => `job-1/t-crash/${x.id}.json`).sort());
    const item = JSON.parse((await p.blobs()).find((b) => b.name.endsWith(`${posts[N - 150]!.id}.json`))!.body);
    expect(Buffer.from(item.ContentAttachments[0].Content, 'base64').equals(Buffer.alloc(2048, 7))).toBe(true);
  } finally {
    // Graceful shutdown: SIGTERM ends the worker cleanly.
    expect(await second.stop('SIGTERM')).toBe(0);
  }
  expect(p.events.reports).toHaveLength(1);
  expect(await p.c.store.queueDepth()).toBe(0);
  expect((await p.c.store.getJob('job-1'))?.sinceId).toBe(posts.at(-1)!.id);
  expect(await p.c.store.getTaskRun('job-1', 't-crash')).toMatchObject({ status: 'success', items: N, reported: true });
}, 90_000);
