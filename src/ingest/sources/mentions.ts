import type { TweetV2 } from 'twitter-api-v2';
import { makePostItem } from './postItems';
import type { Source, SourceContext, SourcePage } from './source';

/** X's mentions timeline reaches only the newest 800 mentions (../shared/X-API.md, "Reach of each source"). */
export const MENTIONS_REACH = 800;

/**
 * Posts by others that reply to or mention the account, created in the task's window, when the
 * admin turned "Replies and mentions by others" on. Each is an Item like the account's own posts
 * (same Content rules), `Reply` when it answers the account, else `Mention`; ThreadId is its
 * conversation, so a reply sits in the thread of the post it answers. The account's own posts
 * that X also lists here (a self-reply) come from the timeline, read first: the fetch stage
 * takes an id once. They are not added to the job's list of archived posts (that list is the
 * account's own posts, whose deletions are checked).
 */
export const mentionsSource: Source<TweetV2> = {
  name: 'mentions',
  wanted: (ctx) => ctx.choices.mentions,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<TweetV2>> {
    const start = ctx.window.start.getTime();
    const end = ctx.window.end.getTime();
    let read = 0;
    let oldest: string | undefined;
    for await (const page of ctx.x.mentions(ctx.job.accountId, ctx.window.start, ctx.window.end)) {
      read += page.data.length;
      oldest = page.data[page.data.length - 1]?.created_at ?? oldest;
      const data = page.data.filter((p) => {
        const at = new Date(p.created_at ?? 0).getTime();
        return at >= start && at <= end;
      });
      if (data.length) yield { data, includes: page.includes, ...(page.errors?.length ? { errors: page.errors } : {}) };
    }
    // X served as many as it reaches: older mentions in the window, if any, it no longer serves.
    if (read >= MENTIONS_REACH) {
      ctx.notes.add(
        `Mentions: X serves only the newest ${MENTIONS_REACH} mentions of the account; the ${read} it served reach back to ${oldest ?? 'the window start'}. Mentions of this window older than that could not be read.`,
      );
    }
  },
  async makeItem(post, page, ctx) {
    const { archived: _own, ...made } = await makePostItem(post, page, ctx, post.in_reply_to_user_id === ctx.container.id ? 'Reply' : 'Mention');
    return made;
  },
};
