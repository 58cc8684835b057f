import type { AuditDetails, AuditKind } from '../store/types';

/** The failed sign-in limit's window (src/http/app.ts): summaries use the same length. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

interface Tally {
  windowStart: number;
  failures: number;
  refused: number;
}

export interface SignInFailuresOptions {
  /** Writes one audit entry; a failure is the writer's to report (it never reaches a request). */
  write: (kind: AuditKind, details: AuditDetails) => Promise<unknown>;
  clock: () => Date;
  windowMs?: number;
  /** Schedules the summary of a window at its end; tests pass their own (or none) and call flush(). */
  schedule?: (fn: () => Promise<void>, ms: number) => void;
}

/**
 * Failed sign-ins, summarized: one audit entry per client address and 15-minute window (aligned to
 * the clock, e.g. 10:00-10:15 UTC) with the number of failures and of refusals (429), never one
 * per request, so a client guessing the APISecretKey cannot flood the log. A window's summary is
 * written when it ends, or at the latest with the next failure after it. The first refusal of an
 * address in a window is written at once (`signin.lockout`). Counts live in memory: a window still
 * open when the process stops is not summarized.
 */
export class SignInFailures {
  private readonly tallies = new Map<string, Tally>();
  private readonly windowMs: number;
  private timerSet = false;

  constructor(private readonly opts: SignInFailuresOptions) {
    this.windowMs = opts.windowMs ?? SIGN_IN_WINDOW_MS;
  }

  /** A request from this address was refused with 401. */
  failed(address: string): Promise<void> {
    return this.count(address, 'failures');
  }

  /** The limit refused a request from this address with 429. */
  refused(address: string): Promise<void> {
    return this.count(address, 'refused');
  }

  private async count(address: string, what: 'failures' | 'refused'): Promise<void> {
    const now = this.opts.clock().getTime();
    await this.flush(now);
    const windowStart = now - (now % this.windowMs);
    let tally = this.tallies.get(address);
    if (!tally) {
      tally = { windowStart, failures: 0, refused: 0 };
      this.tallies.set(address, tally);
    }
    tally[what]++;
    this.scheduleFlush();
    if (what === 'refused' && tally.refused === 1) {
      await this.opts.write('signin.lockout', { address, ...this.window(tally.windowStart) });
    }
  }

  private window(start: number): { windowStart: string; windowEnd: string } {
    return { windowStart: new Date(start).toISOString(), windowEnd: new Date(start + this.windowMs).toISOString() };
  }

  /** Writes the summary of every window that has ended by `now`. */
  async flush(now = this.opts.clock().getTime()): Promise<void> {
    const ended = [...this.tallies].filter(([, t]) => t.windowStart + this.windowMs <= now);
    for (const [address] of ended) this.tallies.delete(address);
    for (const [address, t] of ended) {
      await this.opts.write('signin.failed', { address, ...this.window(t.windowStart), failures: t.failures, refused: t.refused });
    }
  }

  /** At most one timer, for the end of the earliest open window; the next count or flush sets the next. */
  private scheduleFlush(): void {
    if (!this.opts.schedule || this.timerSet || this.tallies.size === 0) return;
    const due = Math.min(...[...this.tallies.values()].map((t) => t.windowStart + this.windowMs));
    this.timerSet = true;
    this.opts.schedule(
      () => {
        this.timerSet = false;
        return this.flush()
          .catch(() => undefined)
          .finally(() => this.scheduleFlush());
      },
      Math.max(0, due - this.opts.clock().getTime()),
    );
  }
}
