import request from 'supertest';
import { startFakeAad, msalNetworkClientFor, type FakeAad } from '../fakes/aad';
import { containerSasUrl, listBlobs, startAzurite, type AzuriteHandle } from '../fakes/azurite';
import { startFakeEventApi, type FakeEventApi } from '../fakes/eventApi';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { createWorker, type Worker, type WorkerOptions } from '../../src/ingest/worker';
import { basicAuth, startConnector, type TestConnector } from './connector';
import { ACCOUNT, ACCOUNT_TOKENS, configure, signInJob, SIX_SETTINGS, X_APP } from './signIn';

export const AAD_CLIENT_SECRET = SIX_SETTINGS.AADAppSecretValue;
export const FAST_RETRY = { attempts: 4, baseMs: 5, maxMs: 40 };

/** Every real part of the ingestion path on loopback: Azurite, fake X, fake AAD (https), fake Event API, the app. */
export interface Pipeline {
  azurite: AzuriteHandle;
  x: FakeX;
  aad: FakeAad;
  events: FakeEventApi;
  c: TestConnector;
  worker: Worker;
  container: string;
  sasUrl: string;
  /** Creates another worker on the same store (e.g. different concurrency). */
  newWorker(opts?: Partial<WorkerOptions>): Worker;
  /** POST /data/OnDownloadRequest as the Import service would. */
  requestTask(taskId: string, start: string, end: string, dirty?: string[] | null, jobId?: string, blobSasUri?: string): Promise<void>;
  blobs(): Promise<{ name: string; body: string }[]>;
  close(): Promise<void>;
}

export async function startPipeline(opts: { env?: Record<string, string>; jobId?: string; azurite?: AzuriteHandle } = {}): Promise<Pipeline> {
  const azurite = opts.azurite ?? (await startAzurite());
  const x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  const aad = await startFakeAad({ clientSecret: AAD_CLIENT_SECRET });
  const events = await startFakeEventApi();
  const blobHost = new URL(azurite.blobUrl).host;
  const c = await startConnector({
    env: {
      X_API_BASE_URL: x.url,
      AAD_AUTHORITY_HOST: aad.url,
      EVENT_API_BASE_URL: events.baseUrl,
      ALLOWED_BLOB_HOSTS: blobHost,
      ALLOWED_MEDIA_HOSTS: new URL(x.url).host,
      ...opts.env,
    },
    // The status page's Settings card asks the fake AAD too.
    networkClient: msalNetworkClientFor(aad),
  });
  await configure(c);
  const jobId = opts.jobId ?? 'job-1';
  await signInJob(c, x, jobId);
  const container = `import-${Math.random().toString(36).slice(2, 10)}`;
  const sasUrl = await containerSasUrl(azurite, container);
  const newWorker = (extra: Partial<WorkerOptions> = {}) =>
    createWorker({ config: c.config, logger: c.logger, store: c.store, networkClient: msalNetworkClientFor(aad), retry: FAST_RETRY, ...extra });
  return {
    azurite,
    x,
    aad,
    events,
    c,
    worker: newWorker(),
    container,
    sasUrl,
    newWorker,
    async requestTask(taskId, start, end, dirty = null, job = jobId, sas = sasUrl) {
      await request(c.url)
        .post('/data/OnDownloadRequest')
        .set('Authorization', basicAuth())
        .send({ JobId: job, TaskId: taskId, StartTime: start, EndTime: end, DirtyEntities: dirty, BlobSasUri: sas })
        .expect(200);
    },
    blobs: () => listBlobs(azurite, container),
    async close() {
      await c.close();
      await Promise.all([x.close(), aad.close(), events.close()]);
      if (!opts.azurite) await azurite.close();
    },
  };
}
