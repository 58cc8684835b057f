import request from 'supertest';
import { basicAuth, startConnector, type TestConnector } from '../helpers/connector';
import { SIX_SETTINGS } from '../helpers/signIn';

const auth = basicAuth();
const SAS = 'https://contosoarchive.blob.core.windows.net/import?sv=2023-11-03&sr=c&sp=racwl&sig=abc%2Fdef%3D';
const GOOD = {
  JobId: 'job-1',
  TaskId: 'task-1',
  StartTime: '2026-11-01T00:00:00Z',
  EndTime: '2026-11-02T00:00:00Z',
  DirtyEntities: null,
  BlobSasUri: SAS,
};

let c: TestConnector;

beforeAll(async () => {
  c = await startConnector();
  await request(c.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200);
  await c.store.saveJobAuthorization('job-1', { accountId: '15', accountUsername: 'contoso', accessToken: 'tok-123456', accessSecret: 'sec-123456' });
});

afterAll(async () => {
  await c.close();
});

/** Everything a request could have changed. */
async function snapshot(): Promise<string> {
  const [settings, jobs, depth, runs, audit] = await Promise.all([
    c.store.getSettings(),
    c.store.listJobs(),
    c.store.queueDepth(),
    c.store.listTaskRuns(100),
    c.store.listAudit({ limit: 1000 }),
  ]);
  return JSON.stringify({ settings, jobs, depth, runs, audit });
}

describe('POST /data/OnDownloadRequest', () => {
  test('when the request is valid, then the task is durably queued before the 200', async () => {
    const c2 = await startConnector();
    try {
      await c2.store.saveJobAuthorization('job-1', { accountId: '15', accountUsername: 'contoso', accessToken: 'tok-123456', accessSecret: 'sec-123456' });
      await request(c2.url)
        .post('/data/OnDownloadRequest')
        .set('Authorization', auth)
        .send({ jobid: 'job-1', TASKID: 'task-7', startTime: '2026-11-01T00:00:00.1234567Z', EndTime: '2026-11-01T06:00:00', DirtyEntities: ['1234567890123'], blobSasUri: SAS })
        .expect(200, 'true');
      // Sent twice (the Import service retries): still one queued task.
      await request(c2.url).post('/data/OnDownloadRequest').set('Authorization', auth).send({ ...GOOD, TaskId: 'task-7' }).expect(200);
      expect(await c2.store.queueDepth()).toBe(1);
      const lease = await c2.store.leaseTask(60_000);
      expect(lease?.task).toMatchObject({
        jobId: 'job-1',
        taskId: 'task-7',
        startTime: '2026-11-01T00:00:00.123Z',
        endTime: '2026-11-01T06:00:00.000Z',
        dirtyEntities: ['1234567890123'],
        blobSasUri: SAS,
      });
      expect((await c2.store.getTaskRun('job-1', 'task-7'))?.status).toBe('queued');
    } finally {
      await c2.close();
    }
  });

  test('when the job is unknown, then 404 and nothing is queued', async () => {
    const before = await snapshot();
    const res = await request(c.url).post('/data/OnDownloadRequest').set('Authorization', auth).send({ ...GOOD, JobId: 'nope' }).expect(404);
    expect(res.body.Error).toBe('NotFound');
    expect(await snapshot()).toBe(before);
  });
});

type Case = [name: string, send: () => request.Test, status: number | number[]];
const post = (path: string) => request(c.url).post(path).set('Authorization', auth);
const get = (path: string) => request(c.url).get(path).set('Authorization', auth);
const download = (body: unknown) => post('/data/OnDownloadRequest').send(body as object);
const raw = (path: string, body: string, type = 'application/json') => post(path).set('Content-Type', type).send(body);

const cases: Case[] = [
  ['download: malformed JSON', () => raw('/data/OnDownloadRequest', '{"JobId": "job-1",'), 400],
  ['download: JSON array', () => raw('/data/OnDownloadRequest', '[1,2,3]'), 400],
  ['download: JSON string', () => raw('/data/OnDownloadRequest', '"hello"'), 400],
  ['download: JSON null', () => raw('/data/OnDownloadRequest', 'null'), 400],
  ['download: empty body', () => raw('/data/OnDownloadRequest', ''), 400],
  ['download: text/plain body', () => raw('/data/OnDownloadRequest', JSON.stringify(GOOD), 'text/plain'), 400],
  ['download: 2 MB body', () => raw('/data/OnDownloadRequest', JSON.stringify({ ...GOOD, Pad: 'x'.repeat(2 * 1024 * 1024) })), 413],
  ['download: missing JobId', () => download({ ...GOOD, JobId: undefined }), 400],
  ['download: missing TaskId', () => download({ ...GOOD, TaskId: undefined }), 400],
  ['download: missing StartTime', () => download({ ...GOOD, StartTime: undefined }), 400],
  ['download: missing BlobSasUri', () => download({ ...GOOD, BlobSasUri: undefined }), 400],
  ['download: JobId is a number', () => download({ ...GOOD, JobId: 42 }), 400],
  ['download: JobId with a slash', () => download({ ...GOOD, JobId: 'job/../1' }), 400],
  ['download: TaskId is an object', () => download({ ...GOOD, TaskId: { id: 1 } }), 400],
  ['download: StartTime after EndTime', () => download({ ...GOOD, StartTime: '2026-11-03T00:00:00Z' }), 400],
  ['download: StartTime not a date', () => download({ ...GOOD, StartTime: 'yesterday' }), 400],
  ['download: StartTime impossible date', () => download({ ...GOOD, StartTime: '2026-02-30T00:00:00Z' }), 400],
  ['download: EndTime a number', () => download({ ...GOOD, EndTime: 1700000000 }), 400],
  ['download: DirtyEntities a string', () => download({ ...GOOD, DirtyEntities: '123' }), 400],
  ['download: DirtyEntities with non-ids', () => download({ ...GOOD, DirtyEntities: ['abc'] }), 400],
  ['download: BlobSasUri to a host not allowed', () => download({ ...GOOD, BlobSasUri: 'https://evil.example.com/import?sig=abc' }), 400],
  ['download: BlobSasUri look-alike host', () => download({ ...GOOD, BlobSasUri: 'https://blob.core.windows.net.evil.example/c?sig=a' }), 400],
  ['download: BlobSasUri plain http', () => download({ ...GOOD, BlobSasUri: SAS.replace('https:', 'http:') }), 400],
  ['download: BlobSasUri not a URL', () => download({ ...GOOD, BlobSasUri: 'not a url' }), 400],
  ['download: BlobSasUri file: scheme', () => download({ ...GOOD, BlobSasUri: 'file:///etc/passwd' }), 400],
  ['download: BlobSasUri without a signature', () => download({ ...GOOD, BlobSasUri: 'https://a.blob.core.windows.net/c?sv=1' }), 400],
  ['download: BlobSasUri loopback not listed', () => download({ ...GOOD, BlobSasUri: 'http://127.0.0.1:8080/c?sig=a' }), 400],
  ['download: key given twice in different case', () => download({ ...GOOD, jobid: 'job-2' }), 400],
  ['config: malformed JSON', () => raw('/api/Configuration', '{"TwitterApiKeyValue": '), 400],
  ['config: array body', () => raw('/api/Configuration', '["a"]'), 400],
  ['config: value is a number', () => post('/api/Configuration').send({ TwitterApiKeyValue: 12345 }), 400],
  ['config: unknown key', () => post('/api/Configuration').send({ TwitterApiKey: 'x' }), 400],
  ['config: value with spaces', () => post('/api/Configuration').send({ TwitterApiKeyValue: 'has spaces in it' }), 400],
  ['config: 2 MB body', () => raw('/api/Configuration', JSON.stringify({ TwitterApiKeyValue: 'x'.repeat(2 * 1024 * 1024) })), 413],
  ['SavePage: missing jobId', () => post('/api/ConnectorSetup/SavePage').send({ Id: '1', Name: 'n' }), 400],
  ['SavePage: Id a number', () => post('/api/ConnectorSetup/SavePage?jobId=job-1').send({ Id: 1, Name: 'n' }), 400],
  ['SavePage: malformed JSON', () => raw('/api/ConnectorSetup/SavePage?jobId=job-1', '{'), 400],
  // Credentials are checked before the body is: without them, malformed JSON is a 401.
  ['download: malformed JSON without credentials', () => request(c.url).post('/data/OnDownloadRequest').set('Content-Type', 'application/json').send('{"JobId": '), 401],
  ['config: malformed JSON with a wrong secret', () => request(c.url).post('/api/Configuration').set('Authorization', basicAuth(undefined, 'wrong-secret')).set('Content-Type', 'application/json').send('{'), 401],
  ['config: 2 MB body without credentials', () => request(c.url).post('/api/Configuration').set('Content-Type', 'application/json').send(JSON.stringify({ TwitterApiKeyValue: 'x'.repeat(2 * 1024 * 1024) })), 401],
  ['StoreToken: empty object', () => post('/api/ConnectorSetup/StoreToken').send({}), 400],
  ['StoreToken: bad access code', () => post('/api/ConnectorSetup/StoreToken').send({ temporaryAccessCode: 'x', redirectUrl: `${c.url}/Views/TwitterOAuth`, jobId: 'job-1' }), 400],
  ['OAuthUrl: no jobId', () => get('/api/ConnectorSetup/OAuthUrl?redirectUrl=x'), 400],
  ['OAuthUrl: redirectUrl not a URL', () => get('/api/ConnectorSetup/OAuthUrl?jobId=j&redirectUrl=nope'), 400],
  ['OAuthUrl: jobId given twice', () => get('/api/ConnectorSetup/OAuthUrl?jobId=a&jobId=b&redirectUrl=x'), 400],
  ['IsCreated: no jobId', () => get('/job/IsCreated'), 400],
  ['OnDeleted: unknown job', () => request(c.url).delete('/job/OnDeleted?jobId=ghost').set('Authorization', auth), 404],
  ['OnRemediation: no type', () => get('/job/OnRemediation?jobId=job-1'), 400],
  ['GetEntities: unknown job', () => get('/api/ConnectorSetup/GetEntities?jobId=ghost'), 404],
  ['unknown route', () => get('/api/Nothing'), 404],
  ['wrong method', () => request(c.url).put('/api/Configuration').set('Authorization', auth).send({}), 404],
];

describe('malformed requests: each a 4xx JSON error naming the problem, nothing written, never a 5xx', () => {
  test('there are at least 30 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  test.each(cases)('%s', async (_name, send, expected) => {
    const before = await snapshot();
    const res = await send();
    const allowed = Array.isArray(expected) ? expected : [expected];
    expect(allowed).toContain(res.status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(typeof res.body.Error).toBe('string');
    expect(typeof res.body.Message).toBe('string');
    expect(res.body.Message.length).toBeGreaterThan(5);
    expect(await snapshot()).toBe(before);
  });
});
