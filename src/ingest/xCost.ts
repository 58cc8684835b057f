import type { Config, XPrices } from '../config';
import type { Logger } from '../logger';
import { archiveChoices } from '../setup/settings';
import type { Settings, Store, XReads, XUsage } from '../store/types';
import type { SourceChoices, TaskNotes } from './sources/source';
import type { PostSource, ReadSource } from './xPosts';

/**
 * What X charges, estimated from the counters: posts of the account's own timeline and of its
 * mentions at the owned-read price (X: when the signed-in account owns the developer app; set
 * X_PRICE_OWNED_READ to the post-read price when it does not), posts asked for by id at the
 * post-read price, users at the user-read price, DM events at the DM price.
 */
export function costOf(source: string, reads: XReads, prices: XPrices): number {
  const postPrice = source === 'timeline' || source === 'mentions' ? prices.ownedRead : prices.postRead;
  return reads.posts * postPrice + reads.users * prices.userRead + reads.dmEvents * prices.dmRead;
}

/** The first day (YYYY-MM-DD, UTC) of the month `at` falls in. */
export function monthStart(at: Date): string {
  return `${at.toISOString().slice(0, 7)}-01`;
}

/** This month's estimate over every job (X bills the developer account, not the job). */
export function monthEstimate(usage: XUsage[], prices: XPrices): number {
  return usage.reduce((sum, u) => sum + costOf(u.source, u, prices), 0);
}

/**
 * Which optional sources this task reads: the admin's choice on the Configure page, unless this
 * month's estimate has reached X_MONTHLY_BUDGET_USD — then mentions and DMs pause until the month
 * ends (the account's own posts go on) and the task history says so.
 */
export async function optionalSources(store: Store, config: Config, settings: Settings, notes: TaskNotes, now = new Date()): Promise<SourceChoices> {
  const chosen = archiveChoices(settings);
  const budget = config.xMonthlyBudgetUsd;
  if (budget === undefined || (!chosen.mentions && !chosen.directMessages)) return chosen;
  const estimate = monthEstimate(await store.listXUsage(monthStart(now)), config.xPrices);
  if (estimate < budget) return chosen;
  notes.add(
    `Mentions and direct messages paused for the rest of the month: this month's estimated X cost, US$${estimate.toFixed(2)}, has reached X_MONTHLY_BUDGET_USD (US$${budget.toFixed(2)}). The account's own posts are archived as usual.`,
  );
  return { mentions: false, directMessages: false };
}

/**
 * Adds what the reader got from X for one source to the job's counter of today (UTC), and zeroes
 * it: X charges for what it returned, whether or not the task then succeeds.
 */
export async function flushReads(x: PostSource, source: string, store: Store, jobId: string, log: Logger): Promise<void> {
  const reads = x.reads.get(source as ReadSource);
  if (!reads || reads.requests === 0) return;
  x.reads.delete(source as ReadSource);
  try {
    await store.addXUsage(jobId, new Date().toISOString().slice(0, 10), source, reads);
  } catch (err) {
    // A counter missed is an estimate short, not a task lost.
    log.warn({ err: (err as Error).message, source, reads }, 'could not record what X was asked for');
  }
}
