import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import type { TaskRun } from '../types';
import { chunked, keyOf, optimistic, unchunk, unless404 } from './tables';

/**
 * Task history. Tables can only list in key order, so "newest first" needs a key that sorts by
 * time: next to each run's row ("k.<job>.<task>") sits an index row ("t.<inverted ms>.<job>.<task>")
 * with a copy of the run. Both live in one partition so that one transaction replaces the run,
 * drops its old index row and writes the new one: the index never points at a stale version, and
 * listing the newest N reads N rows instead of the whole history.
 */

const PARTITION = 'runs';
const MAX_MS = 9_999_999_999_999;

interface RunEntity {
  partitionKey: string;
  rowKey: string;
  indexKey: string;
}

const runKey = (jobId: string, taskId: string): string => `k.${keyOf(jobId)}.${keyOf(taskId)}`;

export class AzureTaskRuns {
  constructor(
    private readonly runs: TableClient,
    private readonly now: () => Date,
  ) {}

  async record(run: TaskRun): Promise<void> {
    const rowKey = runKey(run.jobId, run.taskId);
    const at = this.now();
    // Same-millisecond updates fall back to key order (SQLite falls back to insertion order).
    const indexKey = `t.${String(MAX_MS - at.getTime()).padStart(13, '0')}.${keyOf(run.jobId)}.${keyOf(run.taskId)}`;
    const data = { updatedAt: at.toISOString(), ...chunked('data', JSON.stringify(run)) };
    await optimistic('recordTaskRun', async () => {
      const current = await unless404(this.runs.getEntity<RunEntity>(PARTITION, rowKey));
      const tx = new TableTransaction();
      const row = { partitionKey: PARTITION, rowKey, indexKey, ...data };
      if (current) tx.updateEntity(row, 'Replace', { etag: current.etag });
      else tx.createEntity(row); // 409 if created concurrently: the transaction fails whole, decide again
      if (current && current.indexKey !== indexKey) tx.deleteEntity(PARTITION, current.indexKey);
      tx.upsertEntity({ partitionKey: PARTITION, rowKey: indexKey, ...data }, 'Replace');
      await this.runs.submitTransaction(tx.actions);
    });
  }

  async get(jobId: string, taskId: string): Promise<TaskRun | undefined> {
    const row = await unless404(this.runs.getEntity<Record<string, unknown>>(PARTITION, runKey(jobId, taskId)));
    return row && (JSON.parse(unchunk(row, 'data')) as TaskRun);
  }

  async list(limit: number): Promise<TaskRun[]> {
    const out: TaskRun[] = [];
    if (limit <= 0) return out;
    const pages = this.runs
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and RowKey gt 't.' and RowKey lt 't/'` } })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const row of page) {
        out.push(JSON.parse(unchunk(row, 'data')) as TaskRun);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}
