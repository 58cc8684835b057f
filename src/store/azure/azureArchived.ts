import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import { postKey } from '../shared';
import type { ArchivedPost, Deletion, DeletionCheck } from '../types';
import { keyOf, optimistic, unless404 } from './tables';

/**
 * The posts each job archived and what X later said of them, in three tables: archived posts and
 * deletions are partitioned by job with the zero-padded post id as row key (id order, and one
 * transaction of up to 100 per partition); the deletion checks are one partition, a row per job.
 */

const CHECKS = 'checks';
const BATCH = 100;

interface ArchivedEntity {
  postId: string;
  createdAt: string;
  day: string;
  conversationId: string;
  taskId: string;
}

interface DeletionEntity {
  partitionKey: string;
  rowKey: string;
  etag: string;
  data: string;
  learnedAt: string;
  claimedBy: string;
}

const toArchived = (e: ArchivedEntity): ArchivedPost => ({
  postId: e.postId,
  createdAt: e.createdAt,
  day: e.day,
  conversationId: e.conversationId || null,
  taskId: e.taskId,
});

const toDeletion = (e: DeletionEntity): Deletion => ({ ...(JSON.parse(e.data) as Omit<Deletion, 'claimedBy'>), claimedBy: e.claimedBy || null });

export class AzureArchived {
  constructor(
    private readonly archived: TableClient,
    private readonly deletions: TableClient,
    private readonly checks: TableClient,
  ) {}

  async record(jobId: string, posts: ArchivedPost[]): Promise<void> {
    const partitionKey = keyOf(jobId);
    for (let i = 0; i < posts.length; i += BATCH) {
      const tx = new TableTransaction();
      for (const p of posts.slice(i, i + BATCH)) {
        tx.upsertEntity({ partitionKey, rowKey: postKey(p.postId), ...p, conversationId: p.conversationId ?? '' }, 'Replace');
      }
      await this.archived.submitTransaction(tx.actions);
    }
  }

  async get(jobId: string, postId: string): Promise<ArchivedPost | undefined> {
    const e = await unless404(this.archived.getEntity<ArchivedEntity>(keyOf(jobId), postKey(postId)));
    return e && toArchived(e);
  }

  async list(jobId: string, sinceDay: string, limit: number, afterPostId?: string): Promise<ArchivedPost[]> {
    const after = afterPostId ? postKey(afterPostId) : '';
    const out: ArchivedPost[] = [];
    const pages = this.archived
      .listEntities<ArchivedEntity>({ queryOptions: { filter: odata`PartitionKey eq ${keyOf(jobId)} and RowKey gt ${after} and day ge ${sinceDay}` } })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const e of page) {
        out.push(toArchived(e));
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async recordDeletion(d: Omit<Deletion, 'claimedBy'>): Promise<boolean> {
    try {
      await this.deletions.createEntity({ partitionKey: keyOf(d.jobId), rowKey: postKey(d.postId), data: JSON.stringify(d), learnedAt: d.learnedAt, claimedBy: '' });
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) return false;
      throw err;
    }
  }

  private async jobDeletions(jobId: string): Promise<DeletionEntity[]> {
    const out: DeletionEntity[] = [];
    for await (const e of this.deletions.listEntities<DeletionEntity>({ queryOptions: { filter: odata`PartitionKey eq ${keyOf(jobId)}` } })) out.push(e);
    return out;
  }

  async claim(jobId: string, taskId: string, learnedUpTo: string): Promise<Deletion[]> {
    for (const e of await this.jobDeletions(jobId)) {
      if (e.claimedBy || e.learnedAt > learnedUpTo) continue;
      // If-Match: a deletion another task took in between stays that task's.
      await optimistic('claimDeletions', async () => {
        const current = await this.deletions.getEntity<DeletionEntity>(e.partitionKey, e.rowKey);
        if (current.claimedBy) return;
        await this.deletions.updateEntity({ partitionKey: e.partitionKey, rowKey: e.rowKey, claimedBy: taskId }, 'Merge', { etag: current.etag });
      });
    }
    const mine = (await this.jobDeletions(jobId)).filter((e) => e.claimedBy === taskId).map(toDeletion);
    return mine.sort((a, b) => a.learnedAt.localeCompare(b.learnedAt) || a.postId.localeCompare(b.postId));
  }

  async release(jobId: string, taskId: string): Promise<void> {
    for (const e of await this.jobDeletions(jobId)) {
      if (e.claimedBy !== taskId) continue;
      await this.deletions.updateEntity({ partitionKey: e.partitionKey, rowKey: e.rowKey, claimedBy: '' }, 'Merge', { etag: e.etag });
    }
  }

  async listDeletions(limit: number): Promise<Deletion[]> {
    const all: Deletion[] = [];
    for await (const e of this.deletions.listEntities<DeletionEntity>()) all.push(toDeletion(e));
    all.sort((a, b) => b.learnedAt.localeCompare(a.learnedAt) || postKey(b.postId).localeCompare(postKey(a.postId)));
    return all.slice(0, limit);
  }

  async saveCheck(check: DeletionCheck): Promise<void> {
    await this.checks.upsertEntity({ partitionKey: CHECKS, rowKey: keyOf(check.jobId), data: JSON.stringify(check) }, 'Replace');
  }

  async listChecks(): Promise<DeletionCheck[]> {
    const out: DeletionCheck[] = [];
    for await (const e of this.checks.listEntities<{ data: string }>({ queryOptions: { filter: odata`PartitionKey eq ${CHECKS}` } })) {
      out.push(JSON.parse(e.data) as DeletionCheck);
    }
    return out.sort((a, b) => a.jobId.localeCompare(b.jobId));
  }
}
