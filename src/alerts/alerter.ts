import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger';
import type { Store } from '../store/types';

/**
 * Optional alerts without extra services: ALERT_WEBHOOK_URL (a Teams or Slack incoming webhook)
 * gets one JSON message per condition — a task failed permanently, a job needs sign-in again, no
 * worker has beaten for 15 minutes — and nothing more until that condition clears. What was sent
 * is kept in this process: one alerter runs beside the web app (it must see a worker that is
 * gone), and after a restart a condition still true is sent once more.
 */

export type AlertKind = 'task.failed' | 'job.needsSignIn' | 'worker.missing';

export interface Alert {
  /** One per condition: the same key is not sent again until it has cleared. */
  key: string;
  kind: AlertKind;
  text: string;
  details: Record<string, string | number | null>;
}

export interface AlerterOptions {
  /** The webhook: a secret, never logged. */
  url: string;
  store: Store;
  logger: Logger;
  clock?: () => Date;
  /** When no worker has beaten for this long, say so (default 15 minutes). */
  noWorkerAfterMs?: number;
  /** How often conditions are looked at (default one minute). */
  checkEveryMs?: number;
  /** Tries per message and the first backoff (doubling); each try waits at most timeoutMs for an answer. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/** Failed tasks are alerted on while they are recent: an old failure does not come back after a restart. */
const FAILURES_FOR_MS = 24 * 3600_000;
const RUNS_LOOKED_AT = 100;

export class Alerter {
  private readonly sent = new Set<string>();
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  /** Shutdown cuts a send short rather than wait for a stalled webhook. */
  private readonly stopping = new AbortController();
  private checking: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly clock: () => Date;

  constructor(private readonly opts: AlerterOptions) {
    this.clock = opts.clock ?? (() => new Date());
    this.startedAt = this.clock().getTime();
    this.log = opts.logger.child({ component: 'alerts' });
  }

  /** The conditions true now. */
  async conditions(): Promise<Alert[]> {
    const now = this.clock().getTime();
    const [runs, jobs, beats] = await Promise.all([this.opts.store.listTaskRuns(RUNS_LOOKED_AT), this.opts.store.listJobs(), this.opts.store.listHeartbeats()]);
    const out: Alert[] = [];
    for (const r of runs) {
      if (r.status !== 'permanent_failure') continue;
      const at = Date.parse(r.finishedAt ?? r.startedAt ?? '');
      if (Number.isFinite(at) && now - at > FAILURES_FOR_MS) continue;
      out.push({
        key: `task.failed:${r.jobId}/${r.taskId}`,
        kind: 'task.failed',
        text: `X connector: task ${r.taskId} of job ${r.jobId} failed permanently: ${r.error ?? 'no error recorded'}. See the status page.`,
        details: { jobId: r.jobId, taskId: r.taskId, error: r.error },
      });
    }
    for (const j of jobs) {
      if (!j.needsRelogin) continue;
      out.push({
        key: `job.needsSignIn:${j.jobId}`,
        kind: 'job.needsSignIn',
        text: `X connector: job ${j.jobId}${j.accountUsername ? ` (@${j.accountUsername})` : ''} needs sign-in to X again: X refused its tokens. Open the job's setup page in the Microsoft 365 compliance center and sign in.`,
        details: { jobId: j.jobId, account: j.accountUsername },
      });
    }
    const noWorkerAfter = this.opts.noWorkerAfterMs ?? 15 * 60_000;
    const lastBeat = beats.reduce<number | null>((m, b) => Math.max(m ?? 0, Date.parse(b.lastBeatAt)), null);
    const since = lastBeat ?? this.startedAt;
    if (now - since >= noWorkerAfter) {
      const minutes = Math.floor((now - since) / 60_000);
      out.push({
        key: 'worker.missing',
        kind: 'worker.missing',
        text: lastBeat === null
          ? `X connector: no worker has run in the ${minutes} minutes since the web app started; download requests wait in the queue.`
          : `X connector: no worker has run for ${minutes} minutes; download requests wait in the queue.`,
        details: { lastBeatAt: lastBeat === null ? null : new Date(lastBeat).toISOString() },
      });
    }
    return out;
  }

  /** Sends each condition not sent yet; forgets the ones that cleared. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.run().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async run(): Promise<void> {
    let active: Alert[];
    try {
      active = await this.conditions();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not look at the alert conditions; trying again later');
      return;
    }
    const keys = new Set(active.map((a) => a.key));
    for (const key of [...this.sent]) if (!keys.has(key)) this.sent.delete(key);
    for (const alert of active) {
      if (this.sent.has(alert.key)) continue;
      if (await this.send(alert)) this.sent.add(alert.key);
    }
  }

  /** true once the webhook accepted it; a failure is logged (never the URL) and tried at the next check. */
  private async send(alert: Alert): Promise<boolean> {
    const body = JSON.stringify({ text: alert.text, kind: alert.kind, at: this.clock().toISOString(), ...alert.details });
    const attempts = this.opts.attempts ?? 3;
    let why = '';
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs ?? 10_000), this.stopping.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.log.info({ alert: alert.kind, key: alert.key }, 'alert sent');
          return true;
        }
        why = `the webhook answered HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        why = e.name === 'TimeoutError' ? 'no answer in time' : `the webhook could not be reached (${e.cause?.code ?? e.message})`;
      }
      if (this.stopping.signal.aborted) break;
      if (i < attempts) await delay((this.opts.backoffMs ?? 2000) * 2 ** (i - 1), undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    this.log.warn({ alert: alert.kind, key: alert.key, why }, 'alert not sent; trying again at the next check');
    return false;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.checkEveryMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.checking;
  }
}
