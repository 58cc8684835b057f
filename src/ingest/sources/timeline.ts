import type { TweetV2 } from 'twitter-api-v2';
import { makePostItem } from './postItems';
import type { Source, SourceContext, SourcePage } from './source';

/** The account's own posts created in the task's window (X filters by start_time/end_time; so do we). */
export const timelineSource: Source<TweetV2> = {
  name: 'timeline',
  wanted: () => true,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<TweetV2>> {
    const start = ctx.window.start.getTime();
    const end = ctx.window.end.getTime();
    for await (const page of ctx.x.timeline(ctx.job.accountId, ctx.window.start, ctx.window.end)) {
      const data = page.data.filter((p) => {
        const at = new Date(p.created_at ?? 0).getTime();
        return at >= start && at <= end;
      });
      if (data.length) yield { data, includes: page.includes };
    }
  },
  makeItem: makePostItem,
};
