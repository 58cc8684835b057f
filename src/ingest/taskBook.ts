import type { Store, TaskMessage, TaskRun, TaskStatus } from '../store/types';

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
    return this.store.recordTaskRun(this.run);
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
    await this.save();
  }

  /** Saved the moment the Event API accepts: a run that stops after it never reports again. */
  async reported(newestId: string | null): Promise<void> {
    this.run.reported = true;
    this.run.newestId = newestId;
    this.run.finishedAt = new Date().toISOString();
    this.run.durationMs = Date.now() - new Date(this.run.startedAt!).getTime();
    await this.save();
  }
}
