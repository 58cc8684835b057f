import type { Store, TaskMessage, TaskProgress, TaskRun, TaskStatus } from '../store/types';

/** Progress is written at most this often; a phase change at once. */
export const PROGRESS_EVERY_MS = 1000;

/** What one run of a task counted, delivered or failed on, as its history records it. */
export interface RunResult {
  status: TaskStatus;
  items: number;
  attachmentsSkipped: number;
  daysOverCap: string[];
  error: string | null;
  manifestSha256: string | null;
}

/**
 * The one owner of a task's bookkeeping: its history row (TaskRun) and the days it holds in the
 * job's ledger. Every write to either goes through here, in the order that keeps a run that stops
 * anywhere recoverable: the days a run may hold are saved before it counts, what it holds is
 * saved before it uploads, and that the report was accepted is saved before anything else.
 */
export class TaskBook {
  /** Writes in the order they were asked for, so a late progress write never undoes a later one. */
  private writes: Promise<void> = Promise.resolve();
  private progressSavedAt = 0;
  private progressTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: Store,
    readonly run: TaskRun,
  ) {}

  /** Records the run as started; an earlier run's held days carry over, so they can be given back. */
  static async start(store: Store, task: TaskMessage, previous: TaskRun | undefined): Promise<TaskBook> {
    const book = new TaskBook(store, {
      jobId: task.jobId,
      taskId: task.taskId,
      windowStart: task.startTime,
      windowEnd: task.endTime,
      status: 'running',
      items: 0,
      attachmentsSkipped: 0,
      daysOverCap: [],
      startedAt: new Date().toISOString(),
      finishedAt: null,
      durationMs: null,
      error: null,
      reported: false,
      reservedDays: previous?.reservedDays ?? [],
    });
    await book.save();
    return book;
  }

  private save(): Promise<void> {
    const write = this.writes.then(() => this.store.recordTaskRun(this.run));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /**
   * How far the run has got, for the status page: kept at once, written at most every
   * PROGRESS_EVERY_MS (the last change always reaches the store), a new phase at once. A failed
   * write only leaves the page a little behind.
   */
  progress(patch: Partial<Omit<TaskProgress, 'updatedAt'>>): void {
    const before = this.run.progress;
    const now = Date.now();
    this.run.progress = {
      phase: 'fetching',
      postsFetched: 0,
      itemsUploaded: 0,
      itemsTotal: null,
      attachmentsSkipped: 0,
      resumesAt: null,
      ...before,
      ...patch,
      updatedAt: new Date(now).toISOString(),
    };
    const urgent = before?.phase !== this.run.progress.phase || (before?.resumesAt ?? null) !== this.run.progress.resumesAt;
    const dueIn = urgent ? 0 : this.progressSavedAt + PROGRESS_EVERY_MS - now;
    if (dueIn <= 0) return this.saveProgress();
    this.progressTimer ??= setTimeout(() => this.saveProgress(), dueIn).unref();
  }

  private saveProgress(): void {
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    this.progressSavedAt = Date.now();
    this.save().catch(() => undefined);
  }

  /**
   * Counts the task's items per day against the cap, all or nothing per day. Every day the run
   * may come to hold is saved first; days an earlier run held and this one has no items on go
   * back; then what it holds is saved, before any upload.
   */
  async reserve(counts: Map<string, number>, cap: number): Promise<{ accepted: Set<string>; rejected: { day: string; wouldBe: number }[] }> {
    this.run.reservedDays = [...new Set([...(this.run.reservedDays ?? []), ...counts.keys()])].sort();
    await this.save();
    const reservation = await this.store.reserveDays(this.run.jobId, this.run.taskId, counts, cap);
    const accepted = new Set(reservation.accepted);
    const stale = this.run.reservedDays.filter((d) => !accepted.has(d));
    if (stale.length) await this.store.releaseDays(this.run.jobId, this.run.taskId, stale);
    this.run.reservedDays = reservation.accepted;
    await this.save();
    return { accepted, rejected: reservation.rejected };
  }

  /**
   * Records what the run came to. Nothing of a failed run is archived: its days' room goes back,
   * and so do the deletions it took, for a later task to deliver.
   */
  async settle(result: RunResult): Promise<void> {
    if (result.status !== 'success') {
      if (this.run.reservedDays?.length) await this.store.releaseDays(this.run.jobId, this.run.taskId, this.run.reservedDays);
      this.run.reservedDays = [];
      await this.store.releaseDeletions(this.run.jobId, this.run.taskId);
    }
    Object.assign(this.run, result);
    if (this.run.progress) this.run.progress = { ...this.run.progress, phase: 'reporting', itemsUploaded: result.items, attachmentsSkipped: result.attachmentsSkipped, resumesAt: null, updatedAt: new Date().toISOString() };
    await this.save();
  }

  /** Saved the moment the Event API accepts: a run that stops after it never reports again. */
  async reported(newestId: string | null): Promise<void> {
    this.run.reported = true;
    this.run.newestId = newestId;
    this.run.finishedAt = new Date().toISOString();
    this.run.durationMs = Date.now() - new Date(this.run.startedAt!).getTime();
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    await this.save();
  }
}
