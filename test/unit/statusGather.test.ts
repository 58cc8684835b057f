import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SecretBox } from '../../src/crypto/secretBox';
import { PermanentError, TransientError } from '../../src/errors';
import { gatherStatus, lastDays, TASKS_SHOWN } from '../../src/status/gather';
import { XReachability } from '../../src/status/xReachability';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import type { TaskRun } from '../../src/store/types';
import type { AppCredentials, UserTokens, XAccount } from '../../src/x/xClient';
import { tempDir } from '../helpers/connector';
import { ACCOUNT, ACCOUNT_TOKENS, X_APP } from '../helpers/signIn';

const SETTINGS = {
  TwitterApiKey: X_APP.consumerKey,
  TwitterApiSecretKey: X_APP.consumerSecret,
  TwitterAccessToken: 'owner-token-0004',
  TwitterAccessTokenSecret: 'owner-secret-0005',
  AADAppId: '6731de76-14a6-49ae-97bc-6eba6914391e',
  AADAppSecret: 'aad-secret-0006',
};
const CAP = 1000;

let dir: string;
let store: SqliteStore;
let now: Date;
let calls: { app: AppCredentials; user: UserTokens }[];
let answer: () => Promise<XAccount>;
let x: XReachability;

const clock = (): Date => new Date(now);

beforeEach(() => {
  dir = tempDir('status-');
  now = new Date('2025-03-30T12:00:00Z');
  store = new SqliteStore(join(dir, 'connector.db'), new SecretBox('status-test-key'), () => new Date(now));
  calls = [];
  answer = async () => ({ id: ACCOUNT.id, name: ACCOUNT.name, username: ACCOUNT.username, profileImageUrl: undefined });
  x = new XReachability({
    me: (app, user) => {
      calls.push({ app, user });
      return answer();
    },
    clock,
    xApiBaseUrl: 'https://api.x.test',
    timeoutMs: 200,
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const gather = () => gatherStatus({ store, clock, dailyItemCap: CAP, x, connectorUrl: 'https://connector.test' });

function run(taskId: string, over: Partial<TaskRun> = {}): TaskRun {
  return {
    jobId: 'job-1',
    taskId,
    windowStart: '2025-03-29T00:00:00.000Z',
    windowEnd: '2025-03-29T23:59:59.999Z',
    status: 'success',
    items: 10,
    attachmentsSkipped: 0,
    daysOverCap: [],
    startedAt: '2025-03-30T10:00:00.000Z',
    finishedAt: '2025-03-30T10:00:05.000Z',
    durationMs: 5000,
    error: null,
    reported: true,
    ...over,
  };
}

async function signedInJob(jobId = 'job-1'): Promise<void> {
  await store.saveJobAuthorization(jobId, { accountId: ACCOUNT.id, accountUsername: ACCOUNT.username, ...ACCOUNT_TOKENS });
  await store.saveJobAccount(jobId, { tenantId: 't', accountId: ACCOUNT.id, accountName: ACCOUNT.name });
}

describe('health', () => {
  test('when nothing is configured, then Settings names all six and X is not asked', async () => {
    const s = await gather();
    expect(s.Health.Configured.State).toBe('Problem');
    expect(s.Health.Configured.Missing).toEqual([
      'Twitter Api Key',
      'Twitter Api Secret Key',
      'Twitter Access Token',
      'Twitter Access Token Secret',
      'AAD Application ID',
      'AAD Application Secret',
    ]);
    expect(s.Health.Configured.Message).toContain('Enter them on the Configure page');
    expect(s.Health.XReachable).toMatchObject({ State: 'Problem', JobId: null });
    expect(s.Health.XReachable.Message).toContain('Twitter Api Key and Twitter Api Secret Key');
    expect(s.Health.LastReport.State).toBe('Unknown');
    expect(calls).toHaveLength(0);
  });

  test('when configured but no job signed in, then X is unknown and the callback URL to register is named', async () => {
    await store.saveSettings(SETTINGS);
    const s = await gather();
    expect(s.Health.Configured).toEqual({ State: 'Ok', Missing: [], Message: 'All six settings are present.' });
    expect(s.Health.XReachable.State).toBe('Unknown');
    expect(s.Health.XReachable.Message).toContain('https://connector.test/Views/TwitterOAuth');
    expect(calls).toHaveLength(0);
  });

  test('when a job is signed in, then X is asked with the app keys and that job\'s tokens, once a minute at most', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob();
    const first = await gather();
    expect(first.Health.XReachable).toMatchObject({ State: 'Ok', JobId: 'job-1', Account: '@contoso', CheckedAt: now.toISOString() });
    expect(calls).toEqual([{ app: { appKey: X_APP.consumerKey, appSecret: X_APP.consumerSecret }, user: ACCOUNT_TOKENS }]);

    now = new Date(now.getTime() + 59_000);
    await Promise.all([gather(), gather()]);
    expect(calls).toHaveLength(1);

    now = new Date(now.getTime() + 2_000);
    expect((await gather()).Health.XReachable.CheckedAt).toBe(now.toISOString());
    expect(calls).toHaveLength(2);
  });

  test('when the tokens change (a new sign-in), then X is asked again at once', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob();
    await gather();
    await store.saveJobAuthorization('job-1', { accountId: ACCOUNT.id, accountUsername: ACCOUNT.username, accessToken: 'new-token', accessSecret: 'new-secret' });
    await gather();
    expect(calls.map((c) => c.user.accessToken)).toEqual([ACCOUNT_TOKENS.accessToken, 'new-token']);
  });

  test('when X refuses the credentials, then the answer says to check the keys or sign in again, and is cached too', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob();
    answer = async () => {
      throw new PermanentError('Reading the signed-in X account: X refused the credentials (HTTP 401)', { authRevoked: true });
    };
    const s = await gather();
    expect(s.Health.XReachable.State).toBe('Problem');
    expect(s.Health.XReachable.Message).toContain('HTTP 401');
    expect(s.Health.XReachable.Message).toContain('Twitter Api Key and Twitter Api Secret Key on the Configure page');
    expect(s.Health.XReachable.Message).toContain('sign in to X again for job job-1');
    await gather();
    expect(calls).toHaveLength(1);
  });

  test('when X cannot be reached or hangs, then the answer names the X address and comes back in time', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob();
    answer = async () => {
      throw new TransientError('Reading the signed-in X account: X could not be reached (ECONNREFUSED)');
    };
    expect((await gather()).Health.XReachable.Message).toContain('can reach https://api.x.test');

    now = new Date(now.getTime() + 61_000);
    answer = () => new Promise<never>(() => undefined);
    const s = await gather();
    expect(s.Health.XReachable).toMatchObject({ State: 'Problem' });
    expect(s.Health.XReachable.Message).toContain('X did not answer within');
  });

  test('when several jobs are signed in, then X is asked with one that does not need sign-in again', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob('job-a');
    now = new Date(now.getTime() + 1000);
    await store.saveJobAuthorization('job-b', { accountId: '42', accountUsername: 'other', accessToken: 'b-token', accessSecret: 'b-secret' });
    await store.setNeedsRelogin('job-b', true);
    await gather();
    expect(calls[0]!.user.accessToken).toBe(ACCOUNT_TOKENS.accessToken);
  });

  test('when the newest finished task was not reported, then Last report needs attention and names what to check', async () => {
    await store.recordTaskRun(run('t-old', { finishedAt: '2025-03-30T09:00:00.000Z' }));
    await store.recordTaskRun(run('t-new', { finishedAt: '2025-03-30T11:00:00.000Z', reported: false, status: 'temporary_failure' }));
    await store.recordTaskRun(run('t-queued', { status: 'queued', finishedAt: null, startedAt: null, reported: false }));
    const r = (await gather()).Health.LastReport;
    expect(r).toMatchObject({ State: 'Problem', TaskId: 't-new', TaskStatus: 'temporary_failure', FinishedAt: '2025-03-30T11:00:00.000Z' });
    expect(r.Message).toContain('AAD Application ID and AAD Application Secret');
  });

  test('when the newest finished task was reported, then Last report is OK even if an older one was not', async () => {
    await store.recordTaskRun(run('t-old', { finishedAt: '2025-03-30T09:00:00.000Z', reported: false }));
    await store.recordTaskRun(run('t-new', { finishedAt: '2025-03-30T11:00:00.000Z', reported: true }));
    expect((await gather()).Health.LastReport).toMatchObject({ State: 'Ok', TaskId: 't-new' });
  });
});

describe('jobs, days and tasks', () => {
  test('when the ledger refused a day, then that job shows it over the cap and the other job does not', async () => {
    await signedInJob('job-1');
    await store.saveJobAuthorization('job-2', { accountId: '42', accountUsername: 'other', accessToken: 'b', accessSecret: 'b' });
    const days = lastDays(now);
    await store.reserveDays('job-1', 't1', new Map([[days[27]!, 900]]), CAP);
    await store.reserveDays('job-1', 't2', new Map([[days[27]!, 300], [days[29]!, 5]]), CAP);
    await store.reserveDays('job-2', 't3', new Map([[days[27]!, 999]]), CAP);
    await store.reserveDays('job-1', 't-old', new Map([['2025-01-01', 5]]), CAP); // before the window

    const s = await gather();
    const [one, two] = s.Jobs;
    expect(one!.Days).toHaveLength(30);
    expect(one!.Days[29]).toEqual({ Day: '2025-03-30', Items: 5, Refused: 0, OverCap: false });
    expect(one!.Days[0]!.Day).toBe('2025-03-01');
    expect(one!.Days[27]).toEqual({ Day: days[27], Items: 900, Refused: 300, OverCap: true });
    expect(one!.DaysOverCap).toEqual([days[27]]);
    expect(one!.Chart).toContain(`data-day="${days[27]}" data-items="900" data-over-cap="true"`);
    expect(two!.Days[27]).toEqual({ Day: days[27], Items: 999, Refused: 0, OverCap: false });
    expect(two!.DaysOverCap).toEqual([]);
  });

  test('when a task reported a day over the cap, then the day is marked even without ledger rows', async () => {
    await signedInJob();
    await store.recordTaskRun(run('t1', { daysOverCap: ['2025-03-20'] }));
    const job = (await gather()).Jobs[0]!;
    expect(job.DaysOverCap).toEqual(['2025-03-20']);
  });

  test('when a job exists, then it shows account, creation, sign-in state, SinceId and its newest task', async () => {
    await signedInJob();
    await store.advanceSinceId('job-1', '1800000000000000000');
    await store.recordTaskRun(run('t1'));
    await store.recordTaskRun({ ...run('t2', { items: 7 }), jobId: 'job-1' });
    await store.recordTaskRun({ ...run('t9'), jobId: 'job-other' });
    await store.setNeedsRelogin('job-1', true);
    const job = (await gather()).Jobs[0]!;
    expect(job).toMatchObject({
      JobId: 'job-1',
      AccountId: ACCOUNT.id,
      AccountUsername: 'contoso',
      AccountName: ACCOUNT.name,
      Created: now.toISOString(),
      SetupComplete: true,
      NeedsSignInAgain: true,
      SinceId: '1800000000000000000',
      LastTask: { TaskId: 't2', Status: 'success', Items: 7, Reported: true, FinishedAt: '2025-03-30T10:00:05.000Z' },
    });
  });

  test('when there are more than 50 tasks, then the newest 50 are listed, newest first, with their outcome', async () => {
    for (let i = 0; i < TASKS_SHOWN + 5; i++) {
      now = new Date(now.getTime() + 1000);
      await store.recordTaskRun(run(`t${i}`, { error: i === TASKS_SHOWN + 4 ? 'X answered HTTP 503' : null, manifestSha256: i === TASKS_SHOWN + 4 ? 'ab'.repeat(32) : null }));
    }
    const tasks = (await gather()).Tasks;
    expect(tasks).toHaveLength(50);
    expect(tasks[0]).toEqual({
      JobId: 'job-1',
      TaskId: 't54',
      WindowStart: '2025-03-29T00:00:00.000Z',
      WindowEnd: '2025-03-29T23:59:59.999Z',
      Status: 'success',
      Items: 10,
      AttachmentsSkipped: 0,
      DaysOverCap: [],
      StartedAt: '2025-03-30T10:00:00.000Z',
      FinishedAt: '2025-03-30T10:00:05.000Z',
      DurationMs: 5000,
      Error: 'X answered HTTP 503',
      // A success with an error (a retried 503) needs nothing of the admin; no worker holds it.
      Advice: null,
      Notes: [],
      Progress: null,
      Reported: true,
      ManifestSha256: 'ab'.repeat(32),
    });
    expect(tasks[49]!.TaskId).toBe('t5');
  });

  test('when everything is shown, then no stored secret appears in the report', async () => {
    await store.saveSettings(SETTINGS);
    await signedInJob();
    const text = JSON.stringify(await gather());
    for (const secret of [...Object.values(SETTINGS).filter((v) => v !== SETTINGS.AADAppId), ...Object.values(ACCOUNT_TOKENS)]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('deletions', () => {
  test('when checks ran and X reported deletions, then the report lists each job\'s last check (with what to change) and the deletions, newest first', async () => {
    await store.saveDeletionCheck({ jobId: 'job-1', at: '2025-03-30T03:30:00.000Z', ok: true, checked: 12, found: 1, message: null });
    await store.saveDeletionCheck({ jobId: 'job-2', at: '2025-03-30T03:30:01.000Z', ok: false, checked: 0, found: 0, message: 'X refused the batch compliance endpoints (HTTP 403)' });
    const base = { jobId: 'job-1', action: 'delete', reason: 'deleted', occurredAt: '2025-03-29T10:00:00.000Z', conversationId: null, via: 'compliance' as const };
    await store.recordDeletion({ ...base, postId: '11', learnedAt: '2025-03-29T03:30:00.000Z' });
    await store.recordDeletion({ ...base, postId: '12', learnedAt: '2025-03-30T03:30:00.000Z', reason: null, via: 'lookup' });
    await store.claimDeletions('job-1', 'task-9', '2025-03-29T23:59:59.999Z');
    const { Deletions } = await gather();
    expect(Deletions.Checks).toEqual([
      { JobId: 'job-1', At: '2025-03-30T03:30:00.000Z', Ok: true, Checked: 12, Found: 1, Message: null },
      { JobId: 'job-2', At: '2025-03-30T03:30:01.000Z', Ok: false, Checked: 0, Found: 0, Message: 'X refused the batch compliance endpoints (HTTP 403)' },
    ]);
    expect(Deletions.Recent).toEqual([
      { JobId: 'job-1', PostId: '12', Action: 'delete', Reason: null, OccurredAt: '2025-03-29T10:00:00.000Z', LearnedAt: '2025-03-30T03:30:00.000Z', Via: 'lookup', DeliveredIn: null },
      { JobId: 'job-1', PostId: '11', Action: 'delete', Reason: 'deleted', OccurredAt: '2025-03-29T10:00:00.000Z', LearnedAt: '2025-03-29T03:30:00.000Z', Via: 'compliance', DeliveredIn: 'task-9' },
    ]);
  });
});

describe('lastDays', () => {
  test('when it is just after midnight UTC, then today is the last of 30 days', () => {
    const d = lastDays(new Date('2024-03-01T00:00:01Z'));
    expect(d).toHaveLength(30);
    expect(d[29]).toBe('2024-03-01');
    expect(d[28]).toBe('2024-02-29'); // a leap day
    expect(d[0]).toBe('2024-02-01'); // 29 days before 1 March in a leap year
  });
});
