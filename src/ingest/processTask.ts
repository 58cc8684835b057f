import pLimit from 'p-limit';
import type { TweetV2 } from 'twitter-api-v2';
import type { Config } from '../config';
import { AppError, PermanentError, TransientError } from '../errors';
import type { Logger } from '../logger';
import { compareIds } from '../store/shared';
import type { Job, Settings, Store, TaskMessage, TaskRun, TaskStatus } from '../store/types';
import { EventApiClient, ReportStatus } from './eventApi';
import { dayOf, Includes, ItemBody, mapPost, mediaToFetch } from './item';
import { fetchMedia } from './media';
import type { RetryPolicy } from './retry';
import { Spool } from './spool';
import { ItemUploader } from './uploader';
import { PostSource, type PostPage } from './xPosts';

export interface TaskDeps {
  config: Config;
  store: Store;
  logger: Logger;
  eventApi: EventApiClient;
  retry: RetryPolicy;
  uploadConcurrency: number;
  mediaConcurrency: number;
  signal?: AbortSignal;
}

/** What one run of a task produced, before it is reported. */
interface Outcome {
  status: ReportStatus;
  items: number;
  /** The itemMetadata entries, on disk: a 200,000-item day never sits in memory. */
  metadata: { file: string; bytes: number } | null;
  newestId: string | null;
  attachmentsSkipped: number;
  daysOverCap: string[];
  error: string | null;
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

function failure(err: unknown): { status: ReportStatus; error: string } {
  if (err instanceof PermanentError) return { status: ReportStatus.PermanentFailure, error: err.message };
  if (err instanceof TransientError) return { status: ReportStatus.TemporaryFailure, error: err.message };
  return { status: ReportStatus.TemporaryFailure, error: (err as Error)?.message ?? String(err) };
}

/**
 * Runs one download task end to end: fetch the window's posts (and DirtyEntities) into a spool,
 * count them per UTC day against the cap, map and upload the allowed days' items with their
 * media, report to the Event API, and only then advance the job's SinceId.
 * Safe to run again after a crash: blob names, ledger counts and the report are idempotent.
 */
export async function processTask(task: TaskMessage, deps: TaskDeps): Promise<TaskRun> {
  const { store, logger: parentLogger } = deps;
  // The worker's logger already names the task; a bare logger (tests, tools) gets the names here.
  const log = parentLogger.bindings().taskId === task.taskId ? parentLogger : parentLogger.child({ jobId: task.jobId, taskId: task.taskId });
  const previous = await store.getTaskRun(task.jobId, task.taskId);
  if (previous?.reported) {
    // A run that stopped right after its report was accepted may not have finished its own
    // bookkeeping: finish it, and never report twice.
    if (previous.newestId) await store.advanceSinceId(task.jobId, previous.newestId);
    await Spool.discard(deps.config.dataDir, task.jobId, task.taskId, log);
    log.info('task was already reported; nothing to do');
    return previous;
  }

  const settings = await store.getSettings();
  if (!settings.AADAppId || !settings.AADAppSecret) {
    throw new CannotReportError('The AAD Application ID and Secret are not configured, so the task cannot be reported');
  }
  const aadApp = { clientId: settings.AADAppId, clientSecret: settings.AADAppSecret };
  const started = Date.now();
  const run: TaskRun = {
    jobId: task.jobId,
    taskId: task.taskId,
    windowStart: task.startTime,
    windowEnd: task.endTime,
    status: 'running',
    items: 0,
    attachmentsSkipped: 0,
    daysOverCap: [],
    startedAt: new Date(started).toISOString(),
    finishedAt: null,
    durationMs: null,
    error: null,
    reported: false,
    reservedDays: previous?.reservedDays ?? [],
  };
  await store.recordTaskRun(run);
  log.info({ start: task.startTime, end: task.endTime, dirty: task.dirtyEntities?.length ?? 0 }, 'task started');
  deps.eventApi.prefetchToken(aadApp);

  const spool = await Spool.create(deps.config.dataDir, task.jobId, task.taskId);
  try {
    const outcome = await collect(task, settings, deps, log, spool, run);
    // A stopped run (shutdown, lease lost) records no outcome and reports nothing: the task is run
    // again, and the counts it holds may be another worker's by now.
    deps.signal?.throwIfAborted();
    if (outcome.status !== ReportStatus.Success && run.reservedDays?.length) {
      // Nothing of a failed task is archived: its days' room goes back for the task that will be.
      await store.releaseDays(task.jobId, task.taskId, run.reservedDays);
      run.reservedDays = [];
    }
    Object.assign(run, {
      status: STATUS_NAMES[outcome.status],
      items: outcome.items,
      attachmentsSkipped: outcome.attachmentsSkipped,
      daysOverCap: outcome.daysOverCap,
      error: outcome.error,
    });
    await store.recordTaskRun(run);
    await deps.eventApi.report(
      aadApp,
      task.jobId,
      task.taskId,
      outcome.status,
      outcome.metadata,
      deps.signal,
      (err, wait) => log.warn({ err: err.message, waitMs: wait }, 'Event API report failed; retrying'),
    );
    // Saved at once: a run that stops from here on must not report again. SinceId moves only
    // now that the Import service knows about the items (a later lease finishes it, if need be).
    run.reported = true;
    run.newestId = outcome.newestId;
    run.finishedAt = new Date().toISOString();
    run.durationMs = Date.now() - started;
    await store.recordTaskRun(run);
    if (outcome.newestId) await store.advanceSinceId(task.jobId, outcome.newestId);
  } finally {
    await spool.remove(log);
  }
  log.info({ status: run.status, items: run.items, skipped: run.attachmentsSkipped, overCap: run.daysOverCap, ms: run.durationMs }, 'task reported');
  return run;
}

/** What the task produced: items uploaded, or why none could be. */
async function collect(task: TaskMessage, settings: Settings, deps: TaskDeps, log: Logger, spool: Spool, run: TaskRun): Promise<Outcome> {
  const job = await deps.store.getJob(task.jobId);
  if (!job || !job.accessToken || !job.accessSecret || !job.accountId) {
    return emptyOutcome(ReportStatus.PermanentFailure, 'The job has no signed-in X account: sign in again from the job setup page');
  }
  if (!settings.TwitterApiKey || !settings.TwitterApiSecretKey) {
    return emptyOutcome(ReportStatus.PermanentFailure, 'The X app is not configured: enter the Twitter Api Key and Secret Key on the Configure page');
  }
  return ingest(task, job as Job & { accountId: string; accessToken: string; accessSecret: string }, settings, deps, log, spool, run);
}

function emptyOutcome(status: ReportStatus, error: string): Outcome {
  return { status, items: 0, metadata: null, newestId: null, attachmentsSkipped: 0, daysOverCap: [], error };
}

async function ingest(
  task: TaskMessage,
  job: Job & { accountId: string; accessToken: string; accessSecret: string },
  settings: Settings,
  deps: TaskDeps,
  log: Logger,
  spool: Spool,
  run: TaskRun,
): Promise<Outcome> {
  const { config, store, signal } = deps;
  const begun = Date.now();
  const source = new PostSource({
    baseUrl: config.xApiBaseUrl,
    app: { appKey: settings.TwitterApiKey!, appSecret: settings.TwitterApiSecretKey! },
    user: { accessToken: job.accessToken, accessSecret: job.accessSecret },
    retry: deps.retry,
    signal,
    onRetry: (what, err, waitMs) => log.warn({ what, err: err.message, waitMs }, 'X call failed; retrying'),
  });
  {
    // Pass 1: fetch into the spool, counting items per UTC day.
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    const start = new Date(task.startTime).getTime();
    const end = new Date(task.endTime).getTime();
    // X's timeline pages do not overlap: only posts fetched again by id can appear twice.
    const keep = async (page: PostPage, dirty: boolean) => {
      const fresh = page.data.filter((p) => {
        if (seen.has(p.id)) return false;
        const at = new Date(p.created_at ?? 0).getTime();
        return dirty || (at >= start && at <= end);
      });
      for (const p of fresh) {
        if (dirty) seen.add(p.id);
        const day = dayOf(p.created_at);
        counts.set(day, (counts.get(day) ?? 0) + 1);
      }
      if (fresh.length) await spool.writePage({ data: fresh, includes: page.includes });
    };
    try {
      // DirtyEntities are re-uploaded whatever their date.
      if (task.dirtyEntities?.length) {
        for await (const page of source.byIds(task.dirtyEntities)) await keep(page, true);
      }
      for await (const page of source.timeline(job.accountId, new Date(start), new Date(end))) await keep(page, false);
      await spool.finishPages();
    } catch (err) {
      if (err instanceof PermanentError && err.authRevoked) {
        await store.setNeedsRelogin(task.jobId, true);
        log.warn('X refused the job tokens; the job now needs sign-in again');
      }
      return emptyOutcome(failure(err).status, failure(err).error);
    }
    seen.clear();
    const fetchedAt = Date.now();
    log.info({ posts: [...counts.values()].reduce((a, b) => a + b, 0), days: counts.size, ms: fetchedAt - begun }, 'posts fetched and counted');

    // The cap: a day whose total would exceed it gets none of its items uploaded. Every day this
    // run may come to hold is saved first, so a run that stops in between still knows them.
    run.reservedDays = [...new Set([...(run.reservedDays ?? []), ...counts.keys()])].sort();
    await store.recordTaskRun(run);
    const reservation = await store.reserveDays(task.jobId, task.taskId, counts, config.dailyItemCap);
    const allowed = new Set(reservation.accepted);
    // An earlier run of this task may hold days this one has no items on (a post deleted since,
    // other DirtyEntities): their count goes back. Then what it holds is saved before any upload.
    const stale = run.reservedDays.filter((d) => !allowed.has(d));
    if (stale.length) await store.releaseDays(task.jobId, task.taskId, stale);
    run.reservedDays = reservation.accepted;
    await store.recordTaskRun(run);
    const daysOverCap = reservation.rejected.map((r) => r.day);
    if (daysOverCap.length) log.warn({ days: reservation.rejected }, 'days over the daily item cap: their items are not uploaded');

    // Pass 2: one post at a time from the spool into a window of uploadConcurrency in-flight
    // items; each item downloads its media (bounded apart), is mapped and uploaded in its slot.
    const uploader = new ItemUploader(task.blobSasUri);
    const downloads = pLimit(deps.mediaConcurrency);
    const container = { id: job.accountId, name: job.accountName ?? job.accountUsername ?? job.accountId };
    let items = 0;
    let newestId: string | null = null;
    let attachmentsSkipped = 0;
    let failed: unknown;
    const inFlight = new Set<Promise<void>>();

    const handle = async (post: TweetV2, inc: Includes) => {
      // A retweet shows its original's media: one download per file, not one per place it appears.
      const refs = [...new Map(mediaToFetch(post, inc).map((r) => [r.url, r])).values()];
      const media = new Map<string, string | null>();
      await Promise.all(
        refs.map((ref) =>
          downloads(async () => {
            if (media.has(ref.url)) return;
            const r = await fetchMedia(ref.url, { allowedHosts: config.allowedMediaHosts, maxBytes: config.maxAttachmentBytes, retry: deps.retry, signal });
            if (!r.ok) log.warn({ url: ref.url, reason: r.reason, detail: r.detail }, 'attachment kept without content');
            media.set(ref.url, r.ok ? r.base64 : null);
          }),
        ),
      );
      const body = new ItemBody();
      const item = mapPost(post, inc, container, (ref) => {
        const base64 = media.get(ref.url);
        return base64 === undefined || base64 === null ? null : body.placeholder(base64);
      });
      const skipped = new Set<string>();
      for (const a of [item, ...(item.PreContext ?? [])]) {
        for (const att of a.ContentAttachments ?? []) if (att.Content === null) skipped.add(att.Uri);
      }
      attachmentsSkipped += skipped.size;
      await uploader.upload(ItemUploader.blobName(task.jobId, task.taskId, post.id), body.toBuffer(item), signal);
      const entry = JSON.stringify({ id: item.Id, modificationTimestampUtc: item.SentTimeUtc, fileName: `${item.Id}.json` });
      await spool.writeMetadata(items++ === 0 ? entry : `,${entry}`);
      if (newestId === null || compareIds(item.Id, newestId) > 0) newestId = item.Id;
    };

    outer: for await (const page of spool.pages()) {
      const inc = new Includes(page.includes);
      for (const post of page.data) {
        if (failed) break outer;
        if (!allowed.has(dayOf(post.created_at))) continue;
        const running: Promise<void> = handle(post, inc)
          .catch((err: unknown) => {
            failed ??= err;
          })
          .finally(() => inFlight.delete(running));
        inFlight.add(running);
        if (inFlight.size >= deps.uploadConcurrency) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
    log.info({ items, ms: Date.now() - fetchedAt, failed: failed !== undefined }, 'items uploaded');
    if (failed) {
      // Its report lists no items, as the original's did; processTask gives its counts back.
      const f = failure(failed);
      return { status: f.status, items: 0, metadata: null, newestId: null, attachmentsSkipped, daysOverCap, error: f.error };
    }
    const metadata = await spool.metadata();
    const nothingElse = items === 0 && daysOverCap.length > 0;
    return {
      status: nothingElse ? ReportStatus.PermanentFailure : ReportStatus.Success,
      items,
      metadata,
      newestId,
      attachmentsSkipped,
      daysOverCap,
      error: daysOverCap.length ? `Over the daily cap of ${config.dailyItemCap} items: ${daysOverCap.join(', ')} (not uploaded)` : null,
    };
  }
}
