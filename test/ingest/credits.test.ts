import { ACCOUNT } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

/** Pay-per-use X: a 402 means the developer account's credits are spent (X-API.md). */
let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
  p.x.addPosts([{ id: '3300000000000000001', author_id: ACCOUNT.id, text: 'a post', created_at: '2026-11-10T01:00:00.000Z' }]);
});
afterAll(async () => {
  await p.close();
});

test('when X answers 402, then the task reports TemporaryFailure "X credits exhausted" at once, without asking X again, and the job keeps its sign-in', async () => {
  const timeline = new RegExp(`^/2/users/${ACCOUNT.id}/tweets$`);
  p.x.injectFaults(timeline, Array.from({ length: 5 }, () => ({ status: 402, body: { title: 'Payment Required', detail: 'Your enrolled account does not have any credits to fulfill this request.', type: 'about:blank', status: 402 } })));
  await p.requestTask('t-402', '2026-11-10T00:00:00Z', '2026-11-10T23:59:59Z');
  expect(await p.worker.drain()).toBe(1);
  const [report] = p.events.reports;
  expect(report!.body).toEqual({ taskId: 't-402', status: 1, itemMetadata: [] });
  const run = await p.c.store.getTaskRun('job-1', 't-402');
  expect(run?.error).toMatch(/^Reading the account timeline: X credits exhausted \(HTTP 402\): add credits in the X developer portal/);
  expect(p.x.requests.filter((r) => timeline.test(r.path))).toHaveLength(1);
  expect((await p.c.store.getJob('job-1'))?.needsRelogin).toBe(false);
  expect(await p.blobs()).toEqual([]);
});
