import type { TweetV2 } from 'twitter-api-v2';
import { dayOf, earlierVersionIds, Includes, ItemBody, mapPost, mediaToFetch, type Item, type MediaRef } from '../item';
import { fetchMedia } from '../media';
import type { ItemContext, MadeItem, SourcePage } from './source';

/** Downloads the media a post shows, once per file: content by URL, null when skipped. */
function downloadMedia(post: TweetV2, inc: Includes, ctx: ItemContext): Promise<Map<string, string | null>> {
  return downloadRefs(mediaToFetch(post, inc), ctx);
}

/** Downloads media files, each once: content by URL, null when skipped (too large, not allowed, refused). */
export async function downloadRefs(all: MediaRef[], ctx: ItemContext): Promise<Map<string, string | null>> {
  const { config, retry, signal, log } = ctx;
  // A retweet shows its original's media: one download per file, not one per place it appears.
  const refs = [...new Map(all.map((r) => [r.url, r])).values()];
  const media = new Map<string, string | null>();
  await Promise.all(
    refs.map((ref) =>
      ctx.download(async () => {
        const r = await fetchMedia(ref.url, { allowedHosts: config.allowedMediaHosts, maxBytes: config.maxAttachmentBytes, retry, signal });
        if (!r.ok) log.warn({ url: ref.url, reason: r.reason, detail: r.detail }, 'attachment kept without content');
        media.set(ref.url, r.ok ? r.base64 : null);
      }),
    ),
  );
  return media;
}

/** The lookups over a page's includes (and what X said it did not return), made once per page however many of its posts are mapped. */
const lookups = new WeakMap<SourcePage<TweetV2>, Includes>();
function includesOf(page: SourcePage<TweetV2>): Includes {
  let inc = lookups.get(page);
  if (!inc) {
    lookups.set(page, (inc = new Includes(page.includes, page.errors)));
    for (const post of page.data) inc.learnMentions(post);
  }
  return inc;
}

/**
 * The page's posts and, after each newest version of an edited post, its earlier versions that X
 * returned in includes (the edit_history_tweet_ids expansion): each version is a record of its own.
 */
export function withEarlierVersions(page: SourcePage<TweetV2>): TweetV2[] {
  const byId = new Map((page.includes.tweets ?? []).map((t) => [t.id, t]));
  const out: TweetV2[] = [];
  const taken = new Set<string>();
  for (const post of page.data) {
    for (const p of [post, ...earlierVersionIds(post).map((id) => byId.get(id))]) {
      if (p && !taken.has(p.id)) {
        taken.add(p.id);
        out.push(p);
      }
    }
  }
  return out;
}

/** Attachments kept without content: each file once, however many places of the Item list it. */
export function skippedFiles(item: Item, media: Map<string, string | null>): number {
  const skipped = new Set<string>();
  for (const a of [item, ...(item.PreContext ?? [])]) {
    for (const att of a.ContentAttachments ?? []) if (media.get(att.Uri) === null) skipped.add(att.Uri);
  }
  return skipped.size;
}

/** Every post source makes its Items this way: media downloaded, then the post mapped with them. */
export async function makePostItem(post: TweetV2, page: SourcePage<TweetV2>, ctx: ItemContext, itemType: Item['ItemType'] = 'Tweet'): Promise<MadeItem> {
  const inc = includesOf(page);
  const media = await downloadMedia(post, inc, ctx);
  const body = new ItemBody();
  const item = mapPost(post, inc, ctx.container, (ref) => {
    const base64 = media.get(ref.url);
    return base64 === undefined || base64 === null ? null : body.placeholder(base64);
  });
  item.ItemType = itemType;
  return {
    item,
    body: body.toBuffer(item),
    skipped: skippedFiles(item, media),
    archived: { postId: post.id, createdAt: item.SentTimeUtc, day: dayOf(post.created_at), conversationId: post.conversation_id ?? null },
  };
}
