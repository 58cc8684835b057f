import { missingSettings } from '../setup/settings';
import type { SettingCheck } from '../setup/settingsCheck';
import type { Job, Settings, Store, TaskProgress, TaskRun, TaskStatus } from '../store/types';
import { taskAdvice } from './advice';
import { gatherWorkers, type WorkersStatus } from './workers';
import { renderChartSvg, type DayPoint } from './chart';
import type { HealthState, XCheck, XReachability } from './xReachability';

/** The dashboard's answer (GET /api/status), PascalCase like the rest of the API. */
export interface StatusReport {
  GeneratedAt: string;
  DailyItemCap: number;
  Health: {
    Configured: { State: HealthState; Missing: string[]; Message: string };
    XReachable: XCheck;
    LastReport: {
      State: HealthState;
      JobId: string | null;
      TaskId: string | null;
      TaskStatus: TaskStatus | null;
      FinishedAt: string | null;
      Message: string;
    };
  };
  /** The workers' heartbeats and the queue (src/status/workers.ts). */
  Workers: WorkersStatus;
  Jobs: JobStatus[];
  Tasks: TaskRow[];
  Deletions: {
    /** The last deletion check of each job: when, what it asked, what it found, or what to change. */
    Checks: { JobId: string; At: string; Ok: boolean; Checked: number; Found: number; Message: string | null }[];
    /** Deletions X reported, newest learned first. */
    Recent: { JobId: string; PostId: string; Action: string; Reason: string | null; OccurredAt: string | null; LearnedAt: string; Via: string; DeliveredIn: string | null }[];
  };
}

export const DELETIONS_SHOWN = 50;

export interface JobStatus {
  JobId: string;
  AccountId: string | null;
  AccountUsername: string | null;
  AccountName: string | null;
  Created: string;
  /** SavePage recorded the job ↔ account mapping: the setup page was finished. */
  SetupComplete: boolean;
  NeedsSignInAgain: boolean;
  SinceId: string | null;
  LastTask: { TaskId: string; Status: TaskStatus; FinishedAt: string | null; Items: number; Reported: boolean } | null;
  /** The last DAYS_SHOWN UTC days, oldest first, today last. */
  Days: { Day: string; Items: number; Refused: number; OverCap: boolean }[];
  DaysOverCap: string[];
  /** SVG markup of Days against DailyItemCap. */
  Chart: string;
}

export interface TaskRow {
  JobId: string;
  TaskId: string;
  WindowStart: string;
  WindowEnd: string;
  Status: TaskStatus;
  Items: number;
  AttachmentsSkipped: number;
  DaysOverCap: string[];
  StartedAt: string | null;
  FinishedAt: string | null;
  DurationMs: number | null;
  Error: string | null;
  /** What an admin can do about the error, in words (src/status/advice.ts). */
  Advice: string | null;
  /** What the history says beside the outcome, none of it a failure (X's reach, a paused source, a missing permission). */
  Notes: string[];
  /** How far a running task has got. */
  Progress: TaskProgress | null;
  Reported: boolean;
  /** SHA-256 of the task's archive manifest (README, "Evidence"). */
  ManifestSha256: string | null;
}

export const TASKS_SHOWN = 50;
export const DAYS_SHOWN = 30;
/** Runs read to find each job's newest task: more than the table shows, so quiet jobs still find theirs. */
const RUNS_SCANNED = 500;
const DAY_MS = 24 * 60 * 60 * 1000;
const FINISHED: ReadonlySet<TaskStatus> = new Set(['success', 'temporary_failure', 'permanent_failure']);

export interface GatherOptions {
  store: Store;
  clock: () => Date;
  dailyItemCap: number;
  x: XReachability;
  /** Where this connector is reached, for advice such as the X callback URL. */
  connectorUrl: string;
  /** The settings tried against X and Entra (cached): the Settings card says what they said, not only that values are there. */
  settingsCheck?: (settings: Settings) => Promise<SettingCheck[]>;
  /** INGEST_CRON's period (src/status/workers.ts): no beat within three of them means no worker. Default 5 s, INGEST_CRON's. */
  ingestPeriodMs?: number;
}

/** The Settings card: missing values first; then what X and Entra said of the saved ones. */
async function configuredHealth(opts: GatherOptions, settings: Settings): Promise<StatusReport['Health']['Configured']> {
  const missing = missingSettings(settings);
  if (missing.length) return { State: 'Problem', Missing: missing, Message: `Missing settings: ${missing.join(', ')}. Enter them on the Configure page.` };
  if (!opts.settingsCheck) return { State: 'Ok', Missing: [], Message: 'All six settings are present.' };
  const checks = await opts.settingsCheck(settings);
  const refused = checks.filter((c) => c.Ok === false);
  if (refused.length) return { State: 'Problem', Missing: [], Message: `${refused.map((c) => c.Message).join(' ')} Fix it on the Configure page, then use Test settings.` };
  const unknown = checks.filter((c) => c.Ok === null);
  if (unknown.length) return { State: 'Unknown', Missing: [], Message: unknown.map((c) => c.Message).join(' ') };
  return { State: 'Ok', Missing: [], Message: 'X and Entra accept all six settings.' };
}

/** The UTC days from DAYS_SHOWN - 1 days before `now` up to `now`'s day, oldest first. */
export function lastDays(now: Date, count = DAYS_SHOWN): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) => new Date(today - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/** inHand: `jobId/taskId` of the tasks a live worker holds: only those show progress (a stopped run keeps its last). */
function taskRow(r: TaskRun, inHand: ReadonlySet<string> = new Set()): TaskRow {
  return {
    JobId: r.jobId,
    TaskId: r.taskId,
    WindowStart: r.windowStart,
    WindowEnd: r.windowEnd,
    Status: r.status,
    Items: r.items,
    AttachmentsSkipped: r.attachmentsSkipped,
    DaysOverCap: r.daysOverCap,
    StartedAt: r.startedAt,
    FinishedAt: r.finishedAt,
    DurationMs: r.durationMs,
    Error: r.error,
    Advice: taskAdvice(r),
    Notes: r.notes ?? [],
    Progress: !r.reported && inHand.has(`${r.jobId}/${r.taskId}`) ? (r.progress ?? null) : null,
    Reported: r.reported,
    ManifestSha256: r.manifestSha256 ?? null,
  };
}

/** The job whose tokens best show whether X answers: signed in and not known to be revoked, newest first. */
function probeJob(jobs: Job[]): (Job & { accessToken: string; accessSecret: string }) | undefined {
  const signedIn = jobs.filter((j): j is Job & { accessToken: string; accessSecret: string } => !!j.accessToken && !!j.accessSecret);
  const byNewest = [...signedIn].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
  return byNewest.find((j) => !j.needsRelogin) ?? byNewest[0];
}

async function xHealth(opts: GatherOptions, settings: Settings, jobs: Job[]): Promise<XCheck> {
  const none = { JobId: null, Account: null, CheckedAt: null };
  if (!settings.TwitterApiKey || !settings.TwitterApiSecretKey) {
    return {
      State: 'Problem',
      ...none,
      Message: 'X cannot be checked until the Twitter Api Key and Twitter Api Secret Key are entered on the Configure page.',
    };
  }
  const job = probeJob(jobs);
  if (!job) {
    return {
      State: 'Unknown',
      ...none,
      Message:
        'No job has signed in to X yet. Add the connector in the Microsoft 365 compliance center and click "Login with Twitter" on its setup page; ' +
        `the X app's callback URL must be ${opts.connectorUrl}/Views/TwitterOAuth.`,
    };
  }
  return opts.x.check(
    { appKey: settings.TwitterApiKey, appSecret: settings.TwitterApiSecretKey },
    job.jobId,
    { accessToken: job.accessToken, accessSecret: job.accessSecret },
  );
}

function lastReport(runs: TaskRun[]): StatusReport['Health']['LastReport'] {
  const finished = runs
    .filter((r) => FINISHED.has(r.status) && r.finishedAt)
    .sort((a, b) => (a.finishedAt! < b.finishedAt! ? 1 : a.finishedAt! > b.finishedAt! ? -1 : 0));
  const newest = finished[0];
  if (!newest) {
    return {
      State: 'Unknown',
      JobId: null,
      TaskId: null,
      TaskStatus: null,
      FinishedAt: null,
      Message: 'No task has finished yet. Microsoft 365 sends download requests on its own schedule once a job is set up.',
    };
  }
  const base = { JobId: newest.jobId, TaskId: newest.taskId, TaskStatus: newest.status, FinishedAt: newest.finishedAt };
  if (newest.reported) {
    return { State: 'Ok', ...base, Message: `The Event API accepted the report of task ${newest.taskId} (job ${newest.jobId}).` };
  }
  return {
    State: 'Problem',
    ...base,
    Message:
      `The Event API has not accepted the report of task ${newest.taskId} (job ${newest.jobId}) yet; the worker keeps retrying. ` +
      'If this lasts, check the AAD Application ID and AAD Application Secret on the Configure page.',
  };
}

function tasksInHand(w: WorkersStatus): Set<string> {
  return new Set(w.Instances.filter((i) => i.Alive && i.Task).map((i) => `${i.Task!.JobId}/${i.Task!.TaskId}`));
}

export async function gatherStatus(opts: GatherOptions): Promise<StatusReport> {
  const now = opts.clock();
  const days = lastDays(now);
  const [settings, jobs, runs, totals, checks, deletions] = await Promise.all([
    opts.store.getSettings(),
    opts.store.listJobs(),
    opts.store.listTaskRuns(RUNS_SCANNED),
    opts.store.dayTotals(days[0]!),
    opts.store.listDeletionChecks(),
    opts.store.listDeletions(DELETIONS_SHOWN),
  ]);
  const configured = await configuredHealth(opts, settings);
  const workers = await gatherWorkers(opts.store, now, opts.ingestPeriodMs ?? 5000);
  const inHand = tasksInHand(workers);

  const jobStatuses = jobs.map((job, index): JobStatus => {
    const mine = runs.filter((r) => r.jobId === job.jobId);
    const last = mine[0]; // listTaskRuns is newest first
    // A day is over the cap when the ledger refused items for it, or a task reported it refused.
    const reportedOver = new Set(mine.flatMap((r) => r.daysOverCap));
    const points: DayPoint[] = days.map((day) => {
      const t = totals.find((x) => x.jobId === job.jobId && x.day === day);
      const items = t?.items ?? 0;
      const refused = t?.refused ?? 0;
      return { day, items, refused, overCap: refused > 0 || items > opts.dailyItemCap || reportedOver.has(day) };
    });
    const who = job.accountUsername ? ` (@${job.accountUsername})` : '';
    return {
      JobId: job.jobId,
      AccountId: job.accountId,
      AccountUsername: job.accountUsername,
      AccountName: job.accountName,
      Created: job.createdAt.toISOString(),
      SetupComplete: job.saved,
      NeedsSignInAgain: job.needsRelogin,
      SinceId: job.sinceId,
      LastTask: last
        ? { TaskId: last.taskId, Status: last.status, FinishedAt: last.finishedAt, Items: last.items, Reported: last.reported }
        : null,
      Days: points.map((p) => ({ Day: p.day, Items: p.items, Refused: p.refused, OverCap: p.overCap })),
      DaysOverCap: points.filter((p) => p.overCap).map((p) => p.day),
      Chart: renderChartSvg({
        days: points,
        cap: opts.dailyItemCap,
        title: `Items per UTC day for job ${job.jobId}${who}, last ${DAYS_SHOWN} days`,
        // Job ids may hold characters that are not valid in an element id; the position is unique.
        idPrefix: `chart-${index}`,
      }),
    };
  });

  return {
    GeneratedAt: now.toISOString(),
    DailyItemCap: opts.dailyItemCap,
    Health: { Configured: configured, XReachable: await xHealth(opts, settings, jobs), LastReport: lastReport(runs) },
    Workers: workers,
    Jobs: jobStatuses,
    Tasks: runs.slice(0, TASKS_SHOWN).map((r) => taskRow(r, inHand)),
    Deletions: {
      Checks: checks.map((c) => ({ JobId: c.jobId, At: c.at, Ok: c.ok, Checked: c.checked, Found: c.found, Message: c.message })),
      Recent: deletions.map((d) => ({
        JobId: d.jobId,
        PostId: d.postId,
        Action: d.action,
        Reason: d.reason,
        OccurredAt: d.occurredAt,
        LearnedAt: d.learnedAt,
        Via: d.via,
        DeliveredIn: d.claimedBy,
      })),
    },
  };
}
