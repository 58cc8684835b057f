import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import { ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { containerSasUrl, listBlobs, startAzurite, type AzuriteHandle } from './azurite';
import {
  EVENT_API_SCOPE,
  IMPORT_SERVICE_APP_ID,
  fetchWithCa,
  msalNetworkClientFor,
  startFakeAad,
  type FakeAad,
} from './aad';
import { startFakeEventApi, type FakeEventApi } from './eventApi';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const CLIENT_SECRET = 'fake-client-secret';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Azurite helper', () => {
  let az: AzuriteHandle;
  let startedInMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    az = await startAzurite();
    startedInMs = Date.now() - t0;
  });
  afterAll(async () => {
    await az?.close();
  });

  it('starts quickly on 127.0.0.1 with three distinct ports', () => {
    expect(startedInMs).toBeLessThan(10000);
    const ports = [az.blobUrl, az.queueUrl, az.tableUrl].map((u) => new URL(u).port);
    expect(new Set(ports).size).toBe(3);
    for (const u of [az.blobUrl, az.queueUrl, az.tableUrl]) {
      expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    }
    expect(az.connectionString).toContain(`BlobEndpoint=${az.blobUrl};`);
    expect(az.connectionString).toContain(`QueueEndpoint=${az.queueUrl};`);
    expect(az.connectionString).toContain(`TableEndpoint=${az.tableUrl};`);
  });

  it('uploads through the container SAS URL alone and lists the blobs back', async () => {
    const sasUrl = await containerSasUrl(az, 'import-container');
    expect(sasUrl).toMatch(/\/import-container\?.*sig=/);
    expect(new URL(sasUrl).searchParams.get('sp')).toBe('racwl');
    const container = new ContainerClient(sasUrl);
    const body = JSON.stringify({ Id: '1', Content: 'hello' });
    await container.getBlockBlobClient('job/task/1.json').upload(body, Buffer.byteLength(body));
    await container.getBlockBlobClient('job/task/2.json').upload('{}', 2);
    // idempotent: a second call reuses the container
    await containerSasUrl(az, 'import-container', 2);
    expect(await listBlobs(az, 'import-container')).toEqual([
      { name: 'job/task/1.json', body },
      { name: 'job/task/2.json', body: '{}' },
    ]);
  });

  it('queues and tables work from the connection string', async () => {
    const queue = QueueServiceClient.fromConnectionString(az.connectionString).getQueueClient('tasks');
    await queue.createIfNotExists();
    await queue.sendMessage('task-1');
    const got = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 });
    expect(got.receivedMessageItems.map((m) => m.messageText)).toEqual(['task-1']);

    const table = TableClient.fromConnectionString(az.connectionString, 'jobs', { allowInsecureConnection: true });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'v1' }, 'Replace');
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'v2' }, 'Replace');
    const entity = await table.getEntity<{ value: string }>('p', 'r');
    expect(entity.value).toBe('v2');
  });

  it('two instances run side by side, and close() leaves no process behind', async () => {
    const other = await startAzurite();
    try {
      expect(other.blobUrl).not.toBe(az.blobUrl);
      const url = await containerSasUrl(other, 'other');
      await new ContainerClient(url).getBlockBlobClient('x').upload('x', 1);
      expect(await listBlobs(other, 'other')).toHaveLength(1);
      expect(await listBlobs(az, 'import-container')).toHaveLength(2);
    } finally {
      await other.close();
    }
    const pid = other.pid;
    expect(typeof pid).toBe('number');
    expect(alive(pid)).toBe(false);
    await expect(fetch(other.blobUrl)).rejects.toThrow();
  });
});

describe('fake AAD', () => {
  let aad: FakeAad;
  beforeAll(async () => {
    aad = await startFakeAad({ clientSecret: CLIENT_SECRET });
  });
  afterAll(async () => {
    await aad?.close();
  });

  function msalApp(secret = CLIENT_SECRET): ConfidentialClientApplication {
    return new ConfidentialClientApplication({
      auth: {
        clientId: CLIENT_ID,
        clientSecret: secret,
        authority: `${aad.url}/${TENANT}`,
        knownAuthorities: [aad.host],
      },
      system: { networkClient: msalNetworkClientFor(aad) },
    });
  }

  it('serves a certificate for 127.0.0.1 and localhost that is trusted with caPem only', async () => {
    const cert = new X509Certificate(aad.caPem);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(`${aad.url}/common/discovery/v2.0/keys`, { ca: aad.caPem, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    // Without the CA it is rejected, as a real client should.
    await expect(fetch(`${aad.url}/common/discovery/v2.0/keys`)).rejects.toThrow();
  });

  it('msal-node client credentials get a token from the fake and nothing else is contacted', async () => {
    const before = aad.requests.length;
    const result = await msalApp().acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] });
    expect(result?.accessToken).toBeTruthy();
    expect(result?.tokenType).toBe('Bearer');
    expect(aad.tokenRequests).toEqual([{ tenant: TENANT, clientId: CLIENT_ID, scope: EVENT_API_SCOPE, status: 200 }]);
    // msal asked for the tenant's openid metadata and the token, nothing else
    expect(aad.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://microsoft.onmicrosoft.com/4e476d41-2395-42be-89ff-34cb9186a1ac',
      tid: TENANT,
      appid: CLIENT_ID,
    });
    const { payload } = await jwtVerify(result!.accessToken, createRemoteJWKSet(new URL(aad.jwksUrl)));
    expect(payload.tid).toBe(TENANT);
  });

  it('a wrong client secret is refused; failNextTokenRequests fails the next requests', async () => {
    aad.tokenRequests.length = 0;
    await expect(
      msalApp('wrong').acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });

    aad.failNextTokenRequests(1, 503);
    const app = msalApp();
    await expect(app.acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] })).rejects.toMatchObject({
      errorCode: 'temporarily_unavailable',
    });
    // msal throttles an application instance after a 5xx/429 (60 s without Retry-After):
    // the retry throws without a request; a fresh instance is not throttled.
    await expect(app.acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] })).rejects.toThrow();
    expect(aad.tokenRequests.map((r) => r.status)).toEqual([401, 503]);
    const ok = await msalApp().acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] });
    expect(ok?.accessToken).toBeTruthy();
    expect(aad.tokenRequests.map((r) => r.status)).toEqual([401, 503, 200]);
  });

  it('with Retry-After the same msal instance recovers after that many seconds', async () => {
    aad.tokenRequests.length = 0;
    const app = msalApp();
    aad.failNextTokenRequests(1, 429, 1);
    await expect(app.acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1100));
    const ok = await app.acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] });
    expect(ok?.fromCache).toBe(false);
    expect((await app.acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] }))?.fromCache).toBe(true);
    expect(aad.tokenRequests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('signImportToken verifies against jwksUrl with the import-service claims', async () => {
    const token = await aad.signImportToken({ tid: TENANT, aud: CLIENT_ID });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(aad.jwksUrl)), {
      algorithms: ['RS256'],
      issuer: `https://sts.windows.net/${TENANT}/`,
      audience: [CLIENT_ID, `api://${CLIENT_ID}`],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: aad.kid });
    expect(payload).toMatchObject({ appid: IMPORT_SERVICE_APP_ID, tid: TENANT, aud: CLIENT_ID, ver: '1.0' });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('the HTTPS JWKS URL works with jose customFetch = fetchWithCa(caPem)', async () => {
    const token = await aad.signImportToken({ tid: TENANT, aud: CLIENT_ID, azp: IMPORT_SERVICE_APP_ID, appid: undefined });
    const jwks = createRemoteJWKSet(new URL(aad.jwksHttpsUrl), { [customFetch]: fetchWithCa(aad.caPem) });
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'] });
    expect(payload.azp).toBe(IMPORT_SERVICE_APP_ID);
    expect(payload.appid).toBeUndefined();
  });

  it('foreign-key, expired, unknown-kid and alg:none tokens fail verification', async () => {
    const jwks = createRemoteJWKSet(new URL(aad.jwksUrl));
    const verify = (t: string): Promise<unknown> => jwtVerify(t, jwks, { algorithms: ['RS256'] });
    const foreign = await aad.signWithForeignKey({ tid: TENANT, aud: CLIENT_ID });
    expect(decodeJwt(foreign).appid).toBe(IMPORT_SERVICE_APP_ID);
    await expect(verify(foreign)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await expect(verify(await aad.signImportToken({ tid: TENANT, aud: CLIENT_ID }, { expiresInSec: -120 }))).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
    await expect(verify(await aad.signImportToken({ tid: TENANT }, { kid: 'nope' }))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    const none = await aad.signImportToken({ tid: TENANT }, { alg: 'none' });
    expect(none.endsWith('.')).toBe(true);
    await expect(verify(none)).rejects.toThrow();
    await expect(verify(await aad.signImportToken({ tid: TENANT }, { alg: 'HS256' }))).rejects.toThrow();
  });
});

describe('fake Event API', () => {
  let api: FakeEventApi;
  beforeAll(async () => {
    api = await startFakeEventApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const report = {
    taskId: 'task-1',
    status: 0,
    itemMetadata: [{ id: '42', modificationTimestampUtc: '2024-01-01T00:00:00Z', fileName: '42.json' }],
  };
  const post = (headers: Record<string, string>, body: unknown = report): Promise<Response> =>
    fetch(`${api.baseUrl}api/data/ondownloadcomplete/?jobId=job-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('rejects without a Bearer token, fails on demand, then accepts and waitForReports resolves', async () => {
    expect(api.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Basic abc' })).status).toBe(401);
    expect((await post({ authorization: 'Bearer t' }, { taskId: 'x', status: 7, itemMetadata: [] })).status).toBe(400);

    const waiting = api.waitForReports(1, 5000);
    api.failNext(2);
    expect((await post({ authorization: 'Bearer t' })).status).toBe(503);
    expect((await post({ authorization: 'Bearer t' })).status).toBe(503);
    expect(api.reports).toHaveLength(0);
    expect((await post({ authorization: 'Bearer t' })).status).toBe(200);
    const got = await waiting;
    expect(got).toEqual([{ jobId: 'job-1', authorization: 'Bearer t', body: report }]);
    expect(api.attempts.map((a) => a.status)).toEqual([401, 401, 400, 503, 503, 200]);
  });

  it('waitForReports rejects after its timeout', async () => {
    await expect(api.waitForReports(5, 50)).rejects.toThrow(/1 of 5 reports/);
  });
});
