import type { Logger } from '../../logger';
import type { TaskBook } from '../taskBook';
import type { DayCounts } from './fetch';

export interface Allowance {
  /** Days whose items may be delivered. */
  days: Set<string>;
  /** Days over the cap: none of their items are delivered. */
  overCap: string[];
}

/**
 * Stage 2, the cap: each day's count is reserved in the job's ledger, all or nothing. A day whose
 * total would exceed the cap gets none of its items delivered (Microsoft would import none).
 */
export async function reserveDays(book: TaskBook, counts: DayCounts, cap: number, log: Logger): Promise<Allowance> {
  const { accepted, rejected } = await book.reserve(counts, cap);
  if (rejected.length) log.warn({ days: rejected }, 'days over the daily item cap: their items are not uploaded');
  return { days: accepted, overCap: rejected.map((r) => r.day) };
}
