import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { SecretBox } from '../../src/crypto/secretBox';
import { AzureStore } from '../../src/store/azure/azureStore';
import { startFakeAad, type FakeAad } from '../fakes/aad';
import { containerSasUrl, listBlobs, startAzurite, type AzuriteHandle } from '../fakes/azurite';
import { startFakeEventApi, type FakeEventApi } from '../fakes/eventApi';
import { startFakeX, type FakeX, type FakeXPost } from '../fakes/xServer';
import { API_SECRET_KEY, basicAuth, TENANT_ID, tempDir } from '../helpers/connector';
import { recordRecovery, spawnConnector, type ConnectorProcess } from '../helpers/processes';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, SIX_SETTINGS, X_APP } from '../helpers/signIn';

const TASKS = 10;
const PER_TASK = 120;

let azurite: AzuriteHandle;
let x: FakeX;
let aad: FakeAad;
let events: FakeEventApi;
const procs: ConnectorProcess[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  aad = await startFakeAad({ clientSecret: SIX_SETTINGS.AADAppSecretValue });
  events = await startFakeEventApi();
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await Promise.all([x.close(), aad.close(), events.close()]);
  await azurite.close();
});

const day = (t: number) => `2026-10-${String(t + 1).padStart(2, '0')}`;

test('when two instances (web + worker each) share one Azurite and one is killed mid-way, then every task is reported once with all its items', async () => {
  const posts: FakeXPost[] = [];
  for (let t = 0; t < TASKS; t++) {
    const photo = x.addMediaFile(`/media/t${t}.jpg`, Buffer.alloc(1024, t), 'image/jpeg');
    // The photo answers 503 twice first: each task takes a second or two, so a kill lands mid-task.
    x.injectFaults(new RegExp(`^/media/t${t}\\.jpg$`), [{ status: 503 }, { status: 503 }]);
    for (let i = 0; i < PER_TASK; i++) {
      posts.push({
        id: String(6000000000000000000n + BigInt(t * 1000 + i + 1)),
        author_id: ACCOUNT.id,
        text: `task ${t} post ${i}`,
        created_at: `${day(t)}T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`,
        ...(i === 0 ? { media: [{ media_key: `3_${t}`, type: 'photo' as const, url: photo }] } : {}),
      });
    }
  }
  x.addPosts(posts);
  const caFile = join(tempDir(), 'aad-ca.pem');
  writeFileSync(caFile, aad.caPem);
  const env = (): Record<string, string> => ({
    TENANT_ID,
    API_SECRET_KEY,
    DATA_DIR: tempDir(),
    STORAGE_CONNECTION_STRING: azurite.connectionString,
    X_API_BASE_URL: x.url,
    AAD_AUTHORITY_HOST: aad.url,
    EVENT_API_BASE_URL: events.baseUrl,
    ALLOWED_BLOB_HOSTS: new URL(azurite.blobUrl).host,
    ALLOWED_MEDIA_HOSTS: new URL(x.url).host,
    INGEST_CRON: '* * * * * *',
    // TASK_VISIBILITY_SECONDS is left at its default: on Azure queues a dead instance's task must come back within a minute.
    NODE_EXTRA_CA_CERTS: caFile,
  });
  const a = await spawnConnector('all', env());
  procs.push(a);
  const endpointA = { url: a.url!, config: { tenantId: TENANT_ID } };
  await configure(endpointA);
  await signInJob(endpointA, x, 'job-multi');
  const b = await spawnConnector('all', env());
  procs.push(b);

  const sas = await containerSasUrl(azurite, 'multi-import');
  for (let t = 0; t < TASKS; t++) {
    // Half the requests reach each instance, as behind a load balancer.
    await request(t % 2 ? b.url! : a.url!)
      .post('/data/OnDownloadRequest')
      .set('Authorization', basicAuth())
      .send({ JobId: 'job-multi', TaskId: `task-${t}`, StartTime: `${day(t)}T00:00:00Z`, EndTime: `${day(t)}T23:59:59Z`, DirtyEntities: null, BlobSasUri: sas })
      .expect(200);
  }

  // Kill B while it holds a task (it logged the start and not yet the report).
  const started = await b.waitForLog((l) => l['msg'] === 'task started', 60_000);
  const heldByB = started['taskId'] as string;
  expect(b.logs.some((l) => l['msg'] === 'task reported' && l['taskId'] === heldByB)).toBe(false);
  await b.stop('SIGKILL');
  const killedAt = Date.now();
  // The surviving instance takes the dead one's task once its (default, short) visibility runs out.
  await a.waitForLog((l) => l['msg'] === 'task reported' && l['taskId'] === heldByB, 60_000);
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  expect(recoverySeconds).toBeLessThan(60);
  recordRecovery('azure', recoverySeconds);

  const reports = await events.waitForReports(TASKS, 120_000);
  // A leftover lease or a double lease would show as an extra report: wait until the queue is really empty.
  const store = await AzureStore.open(azurite.connectionString, new SecretBox(`api-secret-key:${API_SECRET_KEY}`));
  const deadline = Date.now() + 30_000;
  while ((await store.queueDepth()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await store.queueDepth()).toBe(0);
  expect(events.reports).toHaveLength(TASKS);

  const taskIds = reports.map((r) => r.body.taskId).sort();
  expect(taskIds).toEqual(Array.from({ length: TASKS }, (_, t) => `task-${t}`).sort());
  let items = 0;
  for (const r of reports) {
    expect(r.body.status).toBe(0);
    const t = Number(r.body.taskId.split('-')[1]);
    const expected = posts.filter((p) => p.created_at.startsWith(day(t))).map((p) => p.id).sort();
    expect(r.body.itemMetadata.map((m) => m.id).sort()).toEqual(expected);
    items += r.body.itemMetadata.length;
  }
  const names = (await listBlobs(azurite, 'multi-import')).map((bl) => bl.name);
  const unique = new Set(names);
  const expectedNames = new Set(posts.map((p) => `job-multi/task-${Number((BigInt(p.id) - 6000000000000000001n) / 1000n)}/${p.id}.json`));
  const missing = [...expectedNames].filter((n) => !unique.has(n)).length;
  const duplicates = names.length - unique.size;
  expect(duplicates).toBe(0);
  expect(missing).toBe(0);
  expect(names).toHaveLength(TASKS * PER_TASK);

  // The ledger counted every day exactly once, whichever instance ran (or re-ran) its task.
  const totals = await store.dayTotals('2026-10-01');
  expect(totals).toEqual(Array.from({ length: TASKS }, (_, t) => ({ jobId: 'job-multi', day: day(t), items: PER_TASK, refused: 0 })));
  await store.close();

  process.stdout.write(
    `two instances: tasks=${TASKS} reports=${events.reports.length} items=${items} blobs=${names.length} duplicates=${duplicates} missing=${missing} killed-mid-task=${heldByB}\n`,
  );
}, 180_000);
