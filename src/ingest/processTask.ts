import { auditQuietly } from '../audit/audit';
import type { Config } from '../config';
import type { ArchiveBackend } from '../evidence/backend';
import { AppError, PermanentError, TransientError } from '../errors';
import type { Logger } from '../logger';
import type { Job, Store, TaskMessage, TaskRun, TaskStatus } from '../store/types';
import { type EventApiClient, ReportStatus } from './eventApi';
import type { RetryPolicy } from './retry';
import { sinksFor } from './sinks';
import { sourcesFor } from './sources';
import { TaskNotes, type SourceContext } from './sources/source';
import { Spool } from './spool';
import { deliver } from './stages/deliver';
import { fetchToSpool } from './stages/fetch';
import { emptyOutcome, reportOutcome, type AadApp, type Outcome } from './stages/report';
import { reserveDays } from './stages/reserve';
import { TaskBook } from './taskBook';
import { optionalSources } from './xCost';
import type { PostSource } from './xPosts';

/** Builds X's post reader with a job's tokens (the composition root decides how). */
export type PostReaderFactory = (
  tokens: { app: { appKey: string; appSecret: string }; user: { accessToken: string; accessSecret: string } },
  log: Logger,
  signal?: AbortSignal,
  /** onRateLimitWait: the reader waits for X's rate-limit reset until then (null: it resumed). */
  hooks?: { onRateLimitWait?: (resumesAt: Date | null) => void },
) => PostSource;

export interface TaskDeps {
  config: Config;
  store: Store;
  logger: Logger;
  eventApi: EventApiClient;
  posts: PostReaderFactory;
  /** The organization's archive copy (a sink), opened on first use; undefined with ARCHIVE=off. */
  archive?: () => Promise<ArchiveBackend | undefined>;
  retry: RetryPolicy;
  uploadConcurrency: number;
  mediaConcurrency: number;
  signal?: AbortSignal;
}

const STATUS_NAMES: Record<ReportStatus, TaskStatus> = {
  [ReportStatus.Success]: 'success',
  [ReportStatus.TemporaryFailure]: 'temporary_failure',
  [ReportStatus.PermanentFailure]: 'permanent_failure',
};

/** A task that cannot even be reported (no AAD app configured): it stays queued and is retried later. */
export class CannotReportError extends AppError {
  constructor(message: string) {
    super(message, 409, 'CannotReport');
  }
}

function failure(err: unknown): Outcome {
  if (err instanceof PermanentError) return emptyOutcome(ReportStatus.PermanentFailure, err.message);
  if (err instanceof TransientError) return emptyOutcome(ReportStatus.TemporaryFailure, err.message);
  return emptyOutcome(ReportStatus.TemporaryFailure, (err as Error)?.message ?? String(err));
}

/**
 * Runs one download task end to end, forward through its stages: sources → spool (counted per
 * day) → the cap → map and deliver to the sinks → report; only then does the job's SinceId move.
 * Safe to run again after a crash: blob names, ledger counts and the report are idempotent.
 */
export async function processTask(task: TaskMessage, deps: TaskDeps): Promise<TaskRun> {
  const log = taskLogger(deps.logger, task);
  const previous = await deps.store.getTaskRun(task.jobId, task.taskId);
  if (previous?.reported) return finishReported(previous, task, deps, log);

  const aadApp = await reportingApp(deps.store);
  const book = await TaskBook.start(deps.store, task, previous);
  log.info({ start: task.startTime, end: task.endTime, dirty: task.dirtyEntities?.length ?? 0 }, 'task started');
  deps.eventApi.prefetchToken(aadApp);

  const spool = await Spool.create(deps.config.dataDir, task.jobId, task.taskId);
  try {
    const outcome = await archive(task, deps, book, spool, log);
    // A stopped run (shutdown, lease lost) records no outcome and reports nothing: the task is run
    // again, and the counts it holds may be another worker's by now.
    deps.signal?.throwIfAborted();
    await book.settle({
      status: STATUS_NAMES[outcome.status],
      items: outcome.items,
      attachmentsSkipped: outcome.attachmentsSkipped,
      daysOverCap: outcome.daysOverCap,
      error: outcome.error,
      manifestSha256: outcome.manifestSha256 ?? null,
    });
    book.progress({ phase: 'reporting' });
    await reportOutcome(deps.eventApi, aadApp, task, outcome, log, deps.signal);
    await book.reported(outcome.newestId);
    await auditQuietly(deps.store, log, 'task.reported', {
      jobId: task.jobId,
      taskId: task.taskId,
      status: book.run.status,
      items: book.run.items,
      manifestSha256: book.run.manifestSha256 ?? null,
    });
    // SinceId moves only now that the Import service knows about the items (a later lease finishes it, if need be).
    if (outcome.newestId) await deps.store.advanceSinceId(task.jobId, outcome.newestId);
  } finally {
    await spool.remove(log);
  }
  const run = book.run;
  log.info(
    { status: run.status, items: run.items, skipped: run.attachmentsSkipped, overCap: run.daysOverCap, manifestSha256: run.manifestSha256, ms: run.durationMs },
    'task reported',
  );
  return run;
}

/** The worker's logger already names the task; a bare logger (tests, tools) gets the names here. */
function taskLogger(logger: Logger, task: TaskMessage): Logger {
  return logger.bindings().taskId === task.taskId ? logger : logger.child({ jobId: task.jobId, taskId: task.taskId });
}

/** A run that stopped right after its report was accepted: finish its bookkeeping, never report twice. */
async function finishReported(previous: TaskRun, task: TaskMessage, deps: TaskDeps, log: Logger): Promise<TaskRun> {
  if (previous.newestId) await deps.store.advanceSinceId(task.jobId, previous.newestId);
  await Spool.discard(deps.config.dataDir, task.jobId, task.taskId, log);
  log.info('task was already reported; nothing to do');
  return previous;
}

async function reportingApp(store: Store): Promise<AadApp> {
  const settings = await store.getSettings();
  if (!settings.AADAppId || !settings.AADAppSecret) {
    throw new CannotReportError('The AAD Application ID and Secret are not configured, so the task cannot be reported');
  }
  return { clientId: settings.AADAppId, clientSecret: settings.AADAppSecret };
}

/** The sources' context, or why the task cannot be read from X at all. */
async function sourceContext(task: TaskMessage, deps: TaskDeps, book: TaskBook, log: Logger): Promise<SourceContext | Outcome> {
  const job = await deps.store.getJob(task.jobId);
  if (!job || !job.accessToken || !job.accessSecret || !job.accountId) {
    return emptyOutcome(ReportStatus.PermanentFailure, 'The job has no signed-in X account: sign in again from the job setup page');
  }
  const settings = await deps.store.getSettings();
  if (!settings.TwitterApiKey || !settings.TwitterApiSecretKey) {
    return emptyOutcome(ReportStatus.PermanentFailure, 'The X app is not configured: enter the Twitter Api Key and Secret Key on the Configure page');
  }
  const x = deps.posts(
    { app: { appKey: settings.TwitterApiKey, appSecret: settings.TwitterApiSecretKey }, user: { accessToken: job.accessToken, accessSecret: job.accessSecret } },
    log,
    deps.signal,
    { onRateLimitWait: (at) => book.progress({ resumesAt: at ? at.toISOString() : null }) },
  );
  const notes = new TaskNotes();
  const choices = await optionalSources(deps.store, deps.config, settings, notes);
  return { task, job: readyJob(job, job.accountId), window: { start: new Date(task.startTime), end: new Date(task.endTime) }, x, store: deps.store, log, choices, notes };
}

function readyJob(job: Job, accountId: string) {
  return { jobId: job.jobId, accountId, accountName: job.accountName ?? job.accountUsername ?? accountId };
}

/** Fetch, reserve, deliver: what the task produced, or why none of it could be archived. */
async function archive(task: TaskMessage, deps: TaskDeps, book: TaskBook, spool: Spool, log: Logger): Promise<Outcome> {
  const ctx = await sourceContext(task, deps, book, log);
  if (!('task' in ctx)) return ctx;
  // What X could not serve, or the task did not ask, goes into its history row, saved with its outcome.
  ctx.notes.writeTo(book.run);
  const sources = sourcesFor(ctx);
  let counts;
  book.progress({ phase: 'fetching' });
  try {
    counts = await fetchToSpool(sources, ctx, spool, log, (fetched) => book.progress({ postsFetched: fetched }));
  } catch (err) {
    if (err instanceof PermanentError && err.authRevoked) {
      await deps.store.setNeedsRelogin(task.jobId, true);
      log.warn('X refused the job tokens; the job now needs sign-in again');
    }
    return failure(err);
  }
  book.progress({ phase: 'counting' });
  const allowance = await reserveDays(book, counts, deps.config.dailyItemCap, log);
  const itemsTotal = [...counts].reduce((n, [day, c]) => (allowance.days.has(day) ? n + c : n), 0);
  book.progress({ phase: 'uploading', itemsTotal, resumesAt: null });
  const delivery = await deliver(spool, allowance, {
    config: deps.config,
    sources,
    sinks: sinksFor({ task, store: deps.store, archive: await deps.archive?.(), dataDir: deps.config.dataDir }),
    container: { id: ctx.job.accountId, name: ctx.job.accountName },
    retry: deps.retry,
    uploadConcurrency: deps.uploadConcurrency,
    mediaConcurrency: deps.mediaConcurrency,
    signal: deps.signal,
    log,
    onProgress: (items, attachmentsSkipped) => book.progress({ itemsUploaded: items, attachmentsSkipped }),
  });
  // A failed delivery reports no items, as the original did; settle() gives its counts back.
  if (delivery.failed) return { ...failure(delivery.failed), attachmentsSkipped: delivery.attachmentsSkipped, daysOverCap: allowance.overCap };
  const nothingElse = delivery.items === 0 && allowance.overCap.length > 0;
  return {
    status: nothingElse ? ReportStatus.PermanentFailure : ReportStatus.Success,
    items: delivery.items,
    metadata: await spool.metadata(),
    manifestSha256: delivery.manifestSha256,
    newestId: delivery.newestId,
    attachmentsSkipped: delivery.attachmentsSkipped,
    daysOverCap: allowance.overCap,
    error: allowance.overCap.length ? `Over the daily cap of ${deps.config.dailyItemCap} items: ${allowance.overCap.join(', ')} (not uploaded)` : null,
  };
}
