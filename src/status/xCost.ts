import type { Config } from '../config';
import { costOf, monthEstimate, monthStart } from '../ingest/xCost';
import { archiveChoices } from '../setup/settings';
import type { Store, TaskRun, XReads } from '../store/types';

/** The status page's "What X charges" section (GET /api/status → XCost). */
export interface XCostReport {
  /** YYYY-MM, UTC. */
  Month: string;
  Prices: { OwnedReadUsd: number; PostReadUsd: number; UserReadUsd: number; DmReadUsd: number };
  BudgetUsd: number | null;
  /** The sources every job archives: the Configure page's choices, and whether the budget paused the optional ones. */
  Archiving: { Posts: true; Mentions: boolean; DirectMessages: boolean; PausedByBudget: boolean };
  /** This month's reads per source, over every job, and their estimated cost. */
  Sources: { Source: string; Label: string; Requests: number; Posts: number; Users: number; DmEvents: number; EstimateUsd: number }[];
  EstimateUsd: number;
  /** What an admin should act on: credits spent, a missing X app permission, the budget reached. */
  Notices: string[];
  /** Recent tasks whose history says something beside the outcome (X's reach, a paused source…). */
  TaskNotes: { JobId: string; TaskId: string; WindowStart: string; WindowEnd: string; Notes: string[] }[];
}

const LABELS: Record<string, string> = {
  timeline: 'Posts by the account',
  dirtyEntities: 'Posts asked for again (DirtyEntities)',
  mentions: 'Replies and mentions by others',
  directMessages: 'Direct messages',
};
const RUNS_SCANNED = 200;
const NOTES_SHOWN = 20;
const FINISHED = new Set(['success', 'temporary_failure', 'permanent_failure']);

const round = (usd: number): number => Math.round(usd * 10_000) / 10_000;

/** Each job's newest finished run (runs come newest first). */
function latestFinished(runs: TaskRun[]): Map<string, TaskRun> {
  const out = new Map<string, TaskRun>();
  for (const r of runs) if (FINISHED.has(r.status) && !out.has(r.jobId)) out.set(r.jobId, r);
  return out;
}

export async function gatherXCost(store: Store, config: Config, now: Date): Promise<XCostReport> {
  const [usage, settings, runs] = await Promise.all([store.listXUsage(monthStart(now)), store.getSettings(), store.listTaskRuns(RUNS_SCANNED)]);
  const bySource = new Map<string, XReads>();
  for (const u of usage) {
    const s = bySource.get(u.source) ?? { requests: 0, posts: 0, users: 0, dmEvents: 0 };
    s.requests += u.requests;
    s.posts += u.posts;
    s.users += u.users;
    s.dmEvents += u.dmEvents;
    bySource.set(u.source, s);
  }
  const order = Object.keys(LABELS);
  const sources = [...bySource]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([source, r]) => ({
      Source: source,
      Label: LABELS[source] ?? source,
      Requests: r.requests,
      Posts: r.posts,
      Users: r.users,
      DmEvents: r.dmEvents,
      EstimateUsd: round(costOf(source, r, config.xPrices)),
    }));
  const estimate = monthEstimate(usage, config.xPrices);
  const chosen = archiveChoices(settings);
  const budget = config.xMonthlyBudgetUsd ?? null;
  const paused = budget !== null && estimate >= budget && (chosen.mentions || chosen.directMessages);

  const notices: string[] = [];
  for (const [jobId, run] of latestFinished(runs)) {
    // Shown until a later task of the job succeeds.
    if (run.status === 'temporary_failure' && run.error?.includes('X credits exhausted')) {
      notices.push(
        `${jobId}: X credits exhausted (task ${run.taskId}, ${run.finishedAt ?? run.startedAt ?? ''}): add credits in the X developer portal; Microsoft 365 asks for the window again, and nothing already uploaded is lost.`,
      );
    }
    if (run.missingXPermission) {
      notices.push(`${jobId}: X refused direct messages: give the X app the permission "${run.missingXPermission}", then sign the job in again from its setup page.`);
    }
  }
  if (paused) {
    notices.push(
      `Replies, mentions and direct messages are paused until the end of the month: this month's estimate (US$${estimate.toFixed(2)}) has reached X_MONTHLY_BUDGET_USD (US$${budget.toFixed(2)}). Posts by the account are archived as usual.`,
    );
  }
  return {
    Month: monthStart(now).slice(0, 7),
    Prices: { OwnedReadUsd: config.xPrices.ownedRead, PostReadUsd: config.xPrices.postRead, UserReadUsd: config.xPrices.userRead, DmReadUsd: config.xPrices.dmRead },
    BudgetUsd: budget,
    Archiving: { Posts: true, Mentions: chosen.mentions, DirectMessages: chosen.directMessages, PausedByBudget: paused },
    Sources: sources,
    EstimateUsd: round(estimate),
    Notices: notices,
    TaskNotes: runs
      .filter((r) => r.notes?.length)
      .slice(0, NOTES_SHOWN)
      .map((r) => ({ JobId: r.jobId, TaskId: r.taskId, WindowStart: r.windowStart, WindowEnd: r.windowEnd, Notes: [...r.notes!] })),
  };
}
