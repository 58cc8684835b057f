import request from 'supertest';
import { basicAuth, startConnector, type TestConnector } from '../helpers/connector';

/** The Archive view's routes refuse anything but a file of the job's archived items, clearly, and without credentials nothing. */
let c: TestConnector;
let off: TestConnector;
beforeAll(async () => {
  c = await startConnector();
  off = await startConnector({ env: { ARCHIVE: 'off' } });
});
afterAll(async () => {
  await c.close();
  await off.close();
});

const get = (path: string, to = c) => request(to.url).get(path).set('Authorization', basicAuth());

test.each([
  ['a path outside the items', '/api/archive/file?jobId=job-1&path=job-1/manifests/x.jsonl', 400],
  ['a path that climbs out', '/api/archive/file?jobId=job-1&path=job-1/items/2026-11-01/../../../connector.db', 400],
  ["another job's file", '/api/archive/file?jobId=job-1&path=job-2/items/2026-11-01/1/item.json', 400],
  ['no path', '/api/archive/file?jobId=job-1', 400],
  ['a file that is not there', '/api/archive/file?jobId=job-1&path=job-1/items/2026-11-01/1/message.eml', 404],
  ['a day that is not a day', '/api/archive/items?jobId=job-1&day=2026-13-45', 400],
  ['a job id with a slash', '/api/archive/days?jobId=a/b', 400],
])('%s → %i JSON', async (_name, path, status) => {
  const res = await get(path);
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(typeof res.body.Message).toBe('string');
});

test('without credentials, nothing of the archive is answered', async () => {
  await request(c.url).get('/api/archive/days?jobId=job-1').expect(401);
  await request(c.url).get('/api/archive/file?jobId=job-1&path=job-1/items/2026-11-01/1/item.json').expect(401);
});

test('when nothing is archived yet, then a job has no days and no items', async () => {
  expect((await get('/api/archive/days?jobId=job-1').expect(200)).body).toEqual({ SearchNeedsDay: false, Days: [] });
  expect((await get('/api/archive/items?jobId=job-1&q=anything').expect(200)).body).toEqual([]);
});

test('with ARCHIVE=off, the view says there is nothing to show', async () => {
  const res = await get('/api/archive/days?jobId=job-1', off).expect(404);
  expect(res.body.Message).toMatch(/ARCHIVE=off/);
});
