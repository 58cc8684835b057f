import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Alerter } from '../../src/alerts/alerter';
import { ConfigError, parseEnv } from '../../src/config';
import { SecretBox } from '../../src/crypto/secretBox';
import { createLogger } from '../../src/logger';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import type { TaskRun } from '../../src/store/types';
import { LogCapture, tempDir } from '../helpers/connector';

/** A webhook receiver on loopback: records each JSON message; can drop the connection or never answer. */
interface Receiver {
  url: string;
  messages: Record<string, unknown>[];
  mode: 'ok' | 'drop' | 'stall';
  /** Requests seen, answered or not. */
  hits: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r: Omit<Receiver, 'url' | 'close'> = { messages: [], mode: 'ok', hits: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      r.hits++;
      if (r.mode === 'drop') return void req.socket.destroy();
      if (r.mode === 'stall') return; // never answers
      r.messages.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('1');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook/SECRET-PART`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

let receiver: Receiver;
let store: SqliteStore;
let now: number;
let logs: LogCapture;
let alerter: Alerter;

beforeEach(async () => {
  receiver = await startReceiver();
  now = Date.parse('2026-06-01T12:00:00.000Z');
  store = new SqliteStore(join(tempDir('alerts-'), 'connector.db'), new SecretBox('alerts-test-key'), () => new Date(now));
  logs = new LogCapture();
  // The URL goes through the same check as at start: loopback http only because it is listed.
  const config = parseEnv({ ALERT_WEBHOOK_URL: receiver.url, ALLOWED_ALERT_HOSTS: '127.0.0.1' });
  alerter = new Alerter({ url: config.alertWebhookUrl!, store, logger: createLogger('info', logs), clock: () => new Date(now), attempts: 2, backoffMs: 1, timeoutMs: 300 });
});
afterEach(async () => {
  await alerter.stop();
  await store.close();
  await receiver.close();
});

function failedRun(taskId: string): TaskRun {
  return {
    jobId: 'job-1',
    taskId,
    windowStart: '2026-05-31T00:00:00.000Z',
    windowEnd: '2026-06-01T00:00:00.000Z',
    status: 'permanent_failure',
    items: 0,
    attachmentsSkipped: 0,
    daysOverCap: [],
    startedAt: '2026-06-01T11:59:00.000Z',
    finishedAt: '2026-06-01T11:59:30.000Z',
    durationMs: 30_000,
    error: 'Reading the account timeline: X answered HTTP 400',
    reported: true,
  };
}

async function workerBeat(at: number): Promise<void> {
  await store.recordHeartbeat({ instanceId: 'w1', host: 'h', mode: 'worker', version: '0', startedAt: new Date(at).toISOString(), lastBeatAt: new Date(at).toISOString(), task: null, stoppedAt: null });
}

describe('alerts to ALERT_WEBHOOK_URL', () => {
  test('when a task fails permanently, then one message says so, and checking again sends nothing more', async () => {
    await workerBeat(now);
    await store.recordTaskRun(failedRun('t-1'));
    await alerter.check();
    await alerter.check();
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.messages[0]).toMatchObject({ kind: 'task.failed', jobId: 'job-1', taskId: 't-1', error: 'Reading the account timeline: X answered HTTP 400' });
    expect(String(receiver.messages[0]!['text'])).toMatch(/^X connector: task t-1 of job job-1 failed permanently/);
  });

  test('when a job needs sign-in again, then one message; once it is signed in and needs it again, one more', async () => {
    await workerBeat(now);
    await store.saveJobAuthorization('job-1', { accountId: '1', accountUsername: 'contoso', accessToken: 'at', accessSecret: 'as' });
    await store.setNeedsRelogin('job-1', true);
    await alerter.check();
    await alerter.check();
    expect(receiver.messages.map((m) => m['kind'])).toEqual(['job.needsSignIn']);
    expect(String(receiver.messages[0]!['text'])).toMatch(/job job-1 \(@contoso\) needs sign-in to X again/);
    await store.setNeedsRelogin('job-1', false);
    await alerter.check();
    await store.setNeedsRelogin('job-1', true);
    await alerter.check();
    expect(receiver.messages.map((m) => m['kind'])).toEqual(['job.needsSignIn', 'job.needsSignIn']);
  });

  test('when no worker has beaten for 15 minutes, then one message, not before, and one again only after a worker came back and went', async () => {
    const beat = now;
    await workerBeat(beat);
    now = beat + 14 * 60_000 + 59_000;
    await alerter.check();
    expect(receiver.messages).toEqual([]);
    now = beat + 15 * 60_000;
    await alerter.check();
    now += 60_000;
    await alerter.check();
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.messages[0]).toMatchObject({ kind: 'worker.missing', lastBeatAt: new Date(beat).toISOString() });
    expect(String(receiver.messages[0]!['text'])).toMatch(/no worker has run for 15 minutes/);
    await workerBeat(now);
    await alerter.check();
    now += 15 * 60_000;
    await alerter.check();
    expect(receiver.messages.map((m) => m['kind'])).toEqual(['worker.missing', 'worker.missing']);
  });

  test.each([
    ['drops the connection', 'drop'],
    ['never answers', 'stall'],
  ] as const)('when the webhook %s, then the check ends, says so in the log without the URL, and the message goes at a later check, once', async (_what, mode) => {
    await workerBeat(now);
    await store.recordTaskRun(failedRun('t-2'));
    receiver.mode = mode;
    await expect(alerter.check()).resolves.toBeUndefined();
    expect(receiver.hits).toBe(2); // both tries
    expect(receiver.messages).toEqual([]);
    expect(logs.text()).toMatch(/alert not sent; trying again at the next check/);
    expect(logs.text()).toMatch(mode === 'stall' ? /no answer in time/ : /could not be reached/);
    expect(logs.text()).not.toMatch(/SECRET-PART|127\.0\.0\.1/);
    receiver.mode = 'ok';
    await alerter.check();
    await alerter.check();
    expect(receiver.messages.map((m) => m['taskId'])).toEqual(['t-2']);
  });
});

describe('ALERT_WEBHOOK_URL at start', () => {
  test('when its host is not in ALLOWED_ALERT_HOSTS, then the configuration is refused naming both variables, never the URL', () => {
    const secretUrl = 'https://evil.example.com/webhook/SECRET-PART';
    expect(() => parseEnv({ ALERT_WEBHOOK_URL: secretUrl })).toThrow(ConfigError);
    try {
      parseEnv({ ALERT_WEBHOOK_URL: secretUrl });
    } catch (err) {
      expect((err as Error).message).toMatch(/ALERT_WEBHOOK_URL: names host "evil\.example\.com", which is not in the allowed hosts \(ALLOWED_ALERT_HOSTS\)/);
      expect((err as Error).message).not.toMatch(/SECRET-PART/);
    }
  });

  test('when it is plain http to a host that is not loopback, or not a URL, then it is refused; a Teams or Slack webhook passes by default', () => {
    expect(() => parseEnv({ ALERT_WEBHOOK_URL: 'http://hooks.slack.com/services/x' })).toThrow(/ALERT_WEBHOOK_URL: must be an https URL/);
    expect(() => parseEnv({ ALERT_WEBHOOK_URL: 'not a url' })).toThrow(/ALERT_WEBHOOK_URL: is not a valid URL/);
    expect(parseEnv({ ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' }).alertWebhookUrl).toBe('https://hooks.slack.com/services/T/B/x');
    expect(parseEnv({ ALERT_WEBHOOK_URL: 'https://contoso.webhook.office.com/webhookb2/x' }).alertWebhookUrl).toBeDefined();
    expect(parseEnv({}).alertWebhookUrl).toBeUndefined();
  });
});
