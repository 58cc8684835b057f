import { once } from 'node:events';
import request from 'supertest';
import { CONNECTOR_VERSION } from '../../src/version';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';
import { API_SECRET_KEY, basicAuth, TENANT_ID, tempDir } from '../helpers/connector';
import { spawnConnector, type ConnectorProcess } from '../helpers/processes';

/**
 * Worker heartbeats across real processes sharing one Azurite: a web app and two workers on a
 * one-second schedule (three periods: three seconds).
 */
jest.setTimeout(60_000);

let azurite: AzuriteHandle;
const procs: ConnectorProcess[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await azurite.close();
});

const env = (): Record<string, string> => ({
  TENANT_ID,
  API_SECRET_KEY,
  DATA_DIR: tempDir(),
  STORAGE_CONNECTION_STRING: azurite.connectionString,
  INGEST_CRON: '* * * * * *',
});

/** Asks until answer() holds (each ask is a real request; no fixed sleep decides anything). */
async function until<T>(ask: () => Promise<T>, holds: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await ask();
    if (holds(v)) return v;
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Ready {
  Worker: { State: string; Message: string; Alive: number; LastBeatAt: string | null; NoWorkerForMinutes: number | null };
  Queue: { Depth: number };
}

test('when two worker instances run, then both are listed; when both are killed, then /readyz and GET /api/status say no worker runs within three periods', async () => {
  const web = await spawnConnector('web', env());
  procs.push(web);
  const workers = [await spawnConnector('worker', env()), await spawnConnector('worker', env())];
  procs.push(...workers);
  const readyz = async () => (await request(web.url!).get('/readyz').expect(200)).body as Ready;
  const status = async () => (await request(web.url!).get('/api/status').set('Authorization', basicAuth()).expect(200)).body as { Workers: { State: string; Message: string; Instances: { Alive: boolean; Mode: string; Version: string; StoppedAt: string | null }[] } };

  const both = await until(status, (s) => s.Workers.Instances.filter((i) => i.Alive).length === 2);
  expect(both.Workers.State).toBe('Ok');
  expect(both.Workers.Instances.map((i) => [i.Mode, i.Version])).toEqual([
    ['worker', CONNECTOR_VERSION],
    ['worker', CONNECTOR_VERSION],
  ]);
  expect((await readyz()).Worker).toMatchObject({ State: 'Ok', Alive: 2 });

  // Killed, not stopped: no goodbye is written, only the beats stop.
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  const down = await until(readyz, (r) => r.Worker.State === 'Problem');
  // It flipped once the last beat was three periods old: a few seconds, not minutes.
  const lastBeatAge = Date.now() - Date.parse(down.Worker.LastBeatAt!);
  expect(lastBeatAge).toBeGreaterThanOrEqual(3000);
  expect(lastBeatAge).toBeLessThan(6000);
  expect(down.Worker.Message).toMatch(/^No worker has run for less than a minute/);
  expect(down.Worker).toMatchObject({ Alive: 0, NoWorkerForMinutes: 0 });
  const after = await status();
  expect(after.Workers.State).toBe('Problem');
  expect(after.Workers.Message).toMatch(/^No worker has run for less than a minute: download requests wait in the queue/);
  expect(after.Workers.Instances.map((i) => [i.Alive, i.StoppedAt])).toEqual([
    [false, null],
    [false, null],
  ]);
});

test('when ALERT_WEBHOOK_URL names a host outside ALLOWED_ALERT_HOSTS, then the connector does not start and names the variables, never the URL', async () => {
  const proc = await spawnConnector('worker', { ...env(), ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook/SECRET-PART' });
  procs.push(proc);
  const [code] = (await once(proc.child, 'exit')) as [number | null];
  expect(code).toBe(1);
  expect(proc.output()).toMatch(/ALERT_WEBHOOK_URL: names host "alerts\.example\.com", which is not in the allowed hosts \(ALLOWED_ALERT_HOSTS\)/);
  expect(proc.output()).not.toMatch(/SECRET-PART/);
});
