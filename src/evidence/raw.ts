import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';

/**
 * The X objects an Item was made from, exactly as X returned them: the record, and the expanded
 * objects it refers to (its author — a DM's sender and participants — and the users it mentions, the posts it references or that
 * are its earlier versions, its media, poll and place) — not the whole page's includes.
 */
export function rawObjectsOf(record: unknown, includes: ApiV2Includes | undefined): { data: unknown; includes: Record<string, unknown[]> } {
  const post = record as Partial<TweetV2> & { geo?: { place_id?: string } };
  if (!includes || typeof post?.id !== 'string') return { data: record, includes: {} };
  const postIds = new Set<string>([...(post.referenced_tweets ?? []).map((r) => r.id), ...(post.edit_history_tweet_ids ?? [])]);
  postIds.delete(post.id);
  const tweets = (includes.tweets ?? []).filter((t) => postIds.has(t.id));
  const related = [post, ...tweets];
  const userIds = new Set<string>();
  const mediaKeys = new Set<string>();
  const pollIds = new Set<string>();
  const placeIds = new Set<string>();
  // A direct message names its sender and participants instead of an author.
  const dm = record as { sender_id?: string; participant_ids?: string[] };
  if (dm.sender_id) userIds.add(dm.sender_id);
  for (const id of dm.participant_ids ?? []) userIds.add(id);
  for (const p of related as (Partial<TweetV2> & { geo?: { place_id?: string } })[]) {
    if (p.author_id) userIds.add(p.author_id);
    if (p.in_reply_to_user_id) userIds.add(p.in_reply_to_user_id);
    for (const m of p.entities?.mentions ?? []) if ((m as { id?: string }).id) userIds.add((m as { id: string }).id);
    for (const k of p.attachments?.media_keys ?? []) mediaKeys.add(k);
    for (const k of p.attachments?.poll_ids ?? []) pollIds.add(k);
    if (p.geo?.place_id) placeIds.add(p.geo.place_id);
  }
  const picked: Record<string, unknown[]> = {};
  const keep = (name: string, list: unknown[]) => {
    if (list.length) picked[name] = list;
  };
  keep('tweets', tweets);
  keep('users', (includes.users ?? []).filter((u) => userIds.has(u.id)));
  keep('media', (includes.media ?? []).filter((m) => mediaKeys.has(m.media_key)));
  keep('polls', (includes.polls ?? []).filter((p) => pollIds.has(p.id)));
  keep('places', (includes.places ?? []).filter((p) => placeIds.has(p.id)));
  return { data: record, includes: picked };
}

/** Usernames by user id from the picked includes, for the message's addresses. */
export function usernamesOf(raw: { includes: Record<string, unknown[]> }): Map<string, string> {
  const out = new Map<string, string>();
  for (const u of (raw.includes['users'] ?? []) as { id: string; username?: string }[]) if (u.username) out.set(u.id, u.username);
  return out;
}
