import type { ArchivedPost, Store, TaskMessage } from '../../store/types';
import type { DeliveredItem, Sink } from './sink';

const BATCH = 500;

/**
 * The job's list of archived posts (id, created_at, day, conversation) in the store: what the
 * daily deletion check asks X about. Written in batches; an item that is not a post (a deletion
 * record) is not listed.
 */
export class ArchivedPostsSink implements Sink {
  readonly name = 'archivedPosts';
  private pending: ArchivedPost[] = [];

  constructor(
    private readonly task: TaskMessage,
    private readonly store: Store,
  ) {}

  async put({ archived }: DeliveredItem): Promise<void> {
    if (!archived) return;
    this.pending.push({ ...archived, taskId: this.task.taskId });
    if (this.pending.length >= BATCH) await this.finish();
  }

  async finish(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length) await this.store.recordArchived(this.task.jobId, batch);
  }
}
