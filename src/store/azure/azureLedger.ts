import { odata, type TableClient } from '@azure/data-tables';
import type { DayReservation, DayTotal } from '../types';
import { chunked, keyOf, optimistic, unchunk, unless404 } from './tables';

/**
 * The daily ledger: ONE entity per job + UTC day (partition = encoded jobId, row = the day),
 * holding every task's count for that day in a map { encoded taskId: [items, accepted 1|0] },
 * plus the accepted and refused totals for cheap reads.
 *
 * Why this is safe with several instances: a reservation reads the day's entity, decides
 * against the cap from exactly what it read, and writes the whole entity back with If-Match
 * on the ETag it read (or creates it, which fails with 409 if someone else did first). Any
 * write in between changes the ETag, so the stale decision is rejected with 412 and made again
 * on fresh data. Every decision for a day is thus taken on the latest state (serializable per
 * day), and two tasks can never both take the last room under the cap. Each task owns one
 * slot in the map, which a retried task overwrites, so it is never counted twice. A day is one
 * write, so it is all or nothing; different days are independent, as the cap is per day.
 */

interface LedgerEntity {
  partitionKey: string;
  rowKey: string;
  jobId: string;
  day: string;
  items: number;
  refused: number;
}

type TaskCounts = Record<string, [items: number, accepted: 0 | 1]>;

export class AzureLedger {
  constructor(private readonly ledger: TableClient) {}

  async reserveDays(jobId: string, taskId: string, counts: Map<string, number>, cap: number): Promise<DayReservation> {
    const result: DayReservation = { accepted: [], rejected: [] };
    for (const [day, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      const wouldBe = await this.reserveDay(jobId, keyOf(taskId), day, n, cap);
      if (wouldBe <= cap) result.accepted.push(day);
      else result.rejected.push({ day, wouldBe });
    }
    return result;
  }

  async releaseDays(jobId: string, taskId: string, days: string[]): Promise<void> {
    for (const day of days) await this.releaseDay(jobId, keyOf(taskId), day);
  }

  /** Records the task's count for the day; returns the total the day would reach with it. */
  private async reserveDay(jobId: string, task: string, day: string, n: number, cap: number): Promise<number> {
    return optimistic('reserveDays', async () => {
      const { current, tasks } = await this.readDay(jobId, day);
      let others = 0;
      for (const [k, [items, accepted]] of Object.entries(tasks)) if (k !== task && accepted === 1) others += items;
      const wouldBe = others + n;
      tasks[task] = [n, wouldBe <= cap ? 1 : 0];
      await this.writeDay(jobId, day, current, tasks);
      return wouldBe;
    });
  }

  /** Removes the task's slot from the day if it was accepted (same If-Match rule as reserveDay). */
  private async releaseDay(jobId: string, task: string, day: string): Promise<void> {
    await optimistic('releaseDays', async () => {
      const { current, tasks } = await this.readDay(jobId, day);
      if (!current || tasks[task]?.[1] !== 1) return;
      delete tasks[task];
      // No task left on the day: no entity either, as SQLite keeps no row (same If-Match rule).
      if (Object.keys(tasks).length === 0) await this.ledger.deleteEntity(keyOf(jobId), day, { etag: current.etag });
      else await this.writeDay(jobId, day, current, tasks);
    });
  }

  private async readDay(jobId: string, day: string): Promise<{ current: (LedgerEntity & { etag: string }) | undefined; tasks: TaskCounts }> {
    const current = await unless404(this.ledger.getEntity<LedgerEntity & Record<string, unknown>>(keyOf(jobId), day));
    return { current, tasks: current ? (JSON.parse(unchunk(current, 'tasks')) as TaskCounts) : {} };
  }

  /** Writes the day's whole entity: If-Match on the ETag it was read with, or a create that fails if someone else created it. */
  private async writeDay(jobId: string, day: string, current: { etag: string } | undefined, tasks: TaskCounts): Promise<void> {
    let items = 0;
    let refused = 0;
    for (const [count, accepted] of Object.values(tasks)) {
      if (accepted === 1) items += count;
      else refused += count;
    }
    const entity = { partitionKey: keyOf(jobId), rowKey: day, jobId, day, items, refused, ...chunked('tasks', JSON.stringify(tasks)) };
    if (current) await this.ledger.updateEntity(entity, 'Replace', { etag: current.etag });
    else await this.ledger.createEntity(entity);
  }

  async dayTotals(sinceDay: string): Promise<DayTotal[]> {
    const out: DayTotal[] = [];
    const rows = this.ledger.listEntities<LedgerEntity>({
      queryOptions: { filter: odata`RowKey ge ${sinceDay}`, select: ['jobId', 'day', 'items', 'refused'] },
    });
    for await (const r of rows) out.push({ jobId: r.jobId, day: r.day, items: Number(r.items), refused: Number(r.refused) });
    return out.sort((a, b) => (a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
  }
}
