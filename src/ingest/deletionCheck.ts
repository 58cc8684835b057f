import { ApiResponseError } from 'twitter-api-v2';
import type { Logger } from '../logger';
import type { DeletionCheck, Job, Store } from '../store/types';
import type { ComplianceClient, ComplianceEvent } from '../x/complianceClient';

export interface DeletionCheckOptions {
  store: Store;
  compliance: ComplianceClient;
  logger: Logger;
  /** How far back archived posts are asked about (DELETION_CHECK_DAYS). */
  days: number;
  clock?: () => Date;
}

/** X takes one batch job per type at a time; ids are sent in files of at most this many. */
const IDS_PER_JOB = 100_000;
const LIST_PAGE = 1000;

const DAY_MS = 24 * 3600 * 1000;

/** What to tell an admin when X refuses the compliance endpoints. */
const PLAN_MESSAGE =
  "X refused the batch compliance endpoints (HTTP 403): the X app's plan does not include them. " +
  'Deletions are then found only when DirtyEntities are fetched again; to have them found daily, use a plan with batch compliance ' +
  '(developer portal → Products). The posts themselves are archived as before.';

async function archivedIds(store: Store, jobId: string, sinceDay: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listArchived(jobId, sinceDay, LIST_PAGE, after);
    ids.push(...page.map((p) => p.postId));
    if (page.length < LIST_PAGE) return ids;
    after = page.at(-1)!.postId;
  }
}

async function recordEvents(store: Store, jobId: string, events: ComplianceEvent[], learnedAt: string): Promise<number> {
  let found = 0;
  for (const e of events) {
    const archived = await store.getArchived(jobId, e.id);
    if (!archived) continue; // not one of ours (X only reports ids it was sent)
    const recorded = await store.recordDeletion({
      jobId,
      postId: e.id,
      action: e.action,
      reason: e.reason ?? null,
      occurredAt: e.redacted_at ?? e.created_at ?? null,
      learnedAt,
      conversationId: archived.conversationId,
      via: 'compliance',
    });
    if (recorded) found++;
    if (recorded) await store.appendAudit({ kind: 'deletion.found', details: { jobId, postId: e.id, action: e.action, reason: e.reason ?? null, via: 'compliance' } });
  }
  return found;
}

async function checkJob(job: Job & { accountId: string }, app: { appKey: string; appSecret: string }, opts: DeletionCheckOptions): Promise<DeletionCheck> {
  const now = (opts.clock ?? (() => new Date()))();
  const sinceDay = new Date(now.getTime() - opts.days * DAY_MS).toISOString().slice(0, 10);
  const ids = await archivedIds(opts.store, job.jobId, sinceDay);
  let found = 0;
  for (let i = 0; i < ids.length; i += IDS_PER_JOB) {
    const events = await opts.compliance.check(app, `xconn-${job.jobId}-${now.toISOString().slice(0, 10)}`, ids.slice(i, i + IDS_PER_JOB));
    found += await recordEvents(opts.store, job.jobId, events, now.toISOString());
  }
  return { jobId: job.jobId, at: now.toISOString(), ok: true, checked: ids.length, found, message: null };
}

function refusedByPlan(err: unknown): boolean {
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof ApiResponseError && cause.code === 403;
}

/**
 * The daily deletion check: for each job, asks X's batch compliance which of the posts archived
 * in the last DELETION_CHECK_DAYS were deleted (or made protected, suspended…), and records each
 * as a deletion, which the job's next task delivers as a TweetDeletion Item. A check X refuses
 * is recorded with what to change; it never touches the posts' own tasks.
 */
export async function checkDeletions(opts: DeletionCheckOptions): Promise<DeletionCheck[]> {
  const log = opts.logger.child({ component: 'deletion-check' });
  const settings = await opts.store.getSettings();
  if (!settings.TwitterApiKey || !settings.TwitterApiSecretKey) {
    log.info('the X app is not configured; no deletion check');
    return [];
  }
  const app = { appKey: settings.TwitterApiKey, appSecret: settings.TwitterApiSecretKey };
  const checks: DeletionCheck[] = [];
  for (const job of await opts.store.listJobs()) {
    if (!job.accountId) continue;
    let check: DeletionCheck;
    try {
      check = await checkJob(job as Job & { accountId: string }, app, opts);
      log.info({ jobId: job.jobId, checked: check.checked, found: check.found }, 'deletion check done');
    } catch (err) {
      const message = refusedByPlan(err) ? PLAN_MESSAGE : (err as Error).message;
      check = { jobId: job.jobId, at: new Date().toISOString(), ok: false, checked: 0, found: 0, message };
      log.warn({ jobId: job.jobId, err: message }, 'deletion check failed');
    }
    await opts.store.saveDeletionCheck(check);
    checks.push(check);
  }
  return checks;
}
