import { mapDeletion } from '../deletionItem';
import { ItemBody } from '../item';
import type { Deletion } from '../../store/types';
import type { Source, SourceContext, SourcePage } from './source';

/** A deletion as a record of the spool: its Item's id, counted on the day it was learned. */
export interface DeletionRecord {
  id: string;
  created_at: string;
  deletion: Deletion;
  /** The archived post's created_at, when the job's list has it. */
  postedAt: string | null;
}

const PAGE = 100;

/**
 * Deletions X reported of the job's archived posts, each delivered once as a TweetDeletion Item:
 * the task takes those learned up to its window's end that no task has taken (a deletion learned
 * while another task ran goes to the next), and a re-run of the task takes the same again.
 */
export const deletionsSource: Source<DeletionRecord> = {
  name: 'deletions',
  disjointIds: true,
  wanted: () => true,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<DeletionRecord>> {
    const claimed = await ctx.store.claimDeletions(ctx.job.jobId, ctx.task.taskId, ctx.window.end.toISOString());
    for (let i = 0; i < claimed.length; i += PAGE) {
      const data: DeletionRecord[] = [];
      for (const deletion of claimed.slice(i, i + PAGE)) {
        const post = await ctx.store.getArchived(ctx.job.jobId, deletion.postId);
        data.push({ id: `${deletion.postId}-deleted`, created_at: deletion.learnedAt, deletion, postedAt: post?.createdAt ?? null });
      }
      yield { data, includes: {} };
    }
  },
  async makeItem(record, _page, ctx) {
    const item = mapDeletion(record.deletion, ctx.container, record.postedAt);
    return { item, body: new ItemBody().toBuffer(item), skipped: 0 };
  },
};
