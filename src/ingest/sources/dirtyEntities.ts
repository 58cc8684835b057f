import type { TweetV2 } from 'twitter-api-v2';
import { auditQuietly } from '../../audit/audit';
import type { XResourceError } from '../xPosts';
import { makePostItem, withEarlierVersions } from './postItems';
import type { Source, SourceContext, SourcePage } from './source';

const NOT_FOUND = 'https://api.twitter.com/2/problems/resource-not-found';

/** Post ids X answered with resource-not-found: deleted (or never existed). */
function goneIds(errors: XResourceError[] | undefined, asked: Set<string>): string[] {
  const ids = (errors ?? []).filter((e) => e.type === NOT_FOUND && (e.resource_type ?? 'tweet') === 'tweet').map((e) => e.resource_id ?? e.value ?? '');
  return ids.filter((id) => asked.has(id));
}

/**
 * A DirtyEntity X no longer has is a deletion, when it is one of the job's archived posts: it is
 * recorded as such (a TweetDeletion Item follows, in this task or the next).
 */
async function recordGone(ctx: SourceContext, ids: string[]): Promise<void> {
  for (const postId of ids) {
    const archived = await ctx.store.getArchived(ctx.job.jobId, postId);
    if (!archived) continue;
    const recorded = await ctx.store.recordDeletion({
      jobId: ctx.job.jobId,
      postId,
      action: 'delete',
      reason: 'not found when asked for by id',
      occurredAt: null,
      learnedAt: new Date().toISOString(),
      conversationId: archived.conversationId,
      via: 'lookup',
    });
    if (recorded) ctx.log.info({ postId }, 'a DirtyEntity X no longer has: recorded as a deletion');
    if (recorded) await auditQuietly(ctx.store, ctx.log, 'deletion.found', { jobId: ctx.job.jobId, taskId: ctx.task.taskId, postId, via: 'lookup' });
  }
}

/** Posts the Import service asks to have again (DirtyEntities), whatever their date. */
export const dirtyEntitiesSource: Source<TweetV2> = {
  name: 'dirtyEntities',
  wanted: (ctx) => (ctx.task.dirtyEntities?.length ?? 0) > 0,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<TweetV2>> {
    const asked = new Set(ctx.task.dirtyEntities ?? []);
    const start = ctx.window.start.getTime();
    const end = ctx.window.end.getTime();
    for await (const page of ctx.x.byIds([...asked])) {
      await recordGone(ctx, goneIds(page.errors, asked));
      // The posts asked for, whatever their date; earlier versions of an edited one only when created in the window, as on the timeline.
      const data = withEarlierVersions(page).filter((p) => {
        if (asked.has(p.id)) return true;
        const at = new Date(p.created_at ?? 0).getTime();
        return at >= start && at <= end;
      });
      if (data.length) yield { data, includes: page.includes, ...(page.errors?.length ? { errors: page.errors } : {}) };
    }
  },
  makeItem: makePostItem,
};
