import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TransientError } from '../../src/errors';
import { ItemUploader } from '../../src/ingest/uploader';

/** A Blob endpoint that accepts the connection and never answers (a stalled front end). */
let server: Server;
const sockets: Socket[] = [];
beforeAll(async () => {
  server = createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

test('when Blob Storage accepts the connection and never answers, then the upload gives up in time with a retryable error naming Blob Storage', async () => {
  const { port } = server.address() as AddressInfo;
  const uploader = new ItemUploader(`http://127.0.0.1:${port}/devstoreaccount1/import?sv=2023-11-03&sig=x`, 1, 300);
  const err = await uploader.upload('job-1/t/1.json', '{}').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TransientError);
  expect((err as Error).message).toBe('Uploading job-1/t/1.json to Azure Blob Storage failed: no answer within 0.3 s');
  expect(sockets.length).toBeGreaterThanOrEqual(1);
});

test('when the task stops during an upload, then the stop is what is thrown, not a Blob Storage failure', async () => {
  const { port } = server.address() as AddressInfo;
  const uploader = new ItemUploader(`http://127.0.0.1:${port}/devstoreaccount1/import?sv=2023-11-03&sig=x`, 1, 60_000);
  const stop = new AbortController();
  const pending = uploader.upload('job-1/t/2.json', '{}', stop.signal).catch((e: unknown) => e);
  stop.abort(new Error('worker shutting down'));
  expect(((await pending) as Error).message).toBe('worker shutting down');
});
