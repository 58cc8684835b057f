import type { TweetV2 } from 'twitter-api-v2';
import { makePostItem, withEarlierVersions } from './postItems';
import type { Source, SourceContext, SourcePage } from './source';

/**
 * The account's own posts created in the task's window (X filters by start_time/end_time; so do
 * we), and the earlier versions of its edited posts created in the window, each a record of its
 * own: X's timelines list only the newest version, the others come in includes.
 */
export const timelineSource: Source<TweetV2> = {
  name: 'timeline',
  wanted: () => true,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<TweetV2>> {
    const start = ctx.window.start.getTime();
    const end = ctx.window.end.getTime();
    for await (const page of ctx.x.timeline(ctx.job.accountId, ctx.window.start, ctx.window.end)) {
      const data = withEarlierVersions(page).filter((p) => {
        const at = new Date(p.created_at ?? 0).getTime();
        return at >= start && at <= end;
      });
      if (data.length) yield { data, includes: page.includes, ...(page.errors?.length ? { errors: page.errors } : {}) };
    }
  },
  makeItem: makePostItem,
};
