/**
 * Post storage and X API v2 rendering for the fake X server.
 *
 * Storage is compact so a test can load 200,000 posts: generated posts keep only their id,
 * timestamp and generator index, and are rebuilt with `make(i)` when a page is served.
 */
import type { FakeXLink, FakeXMedia, FakeXPlace, FakeXPoll, FakeXPost, FakeXUser } from './xServer';

type MakePost = (i: number) => Omit<FakeXPost, 'author_id'>;
interface GenSource { authorId: string; make: MakePost }

/** One stored post: either the object itself or (generator, index). */
interface Entry { id: string; ms: number; post?: FakeXPost; gen?: GenSource; i: number; dead?: boolean }

/** X ids are decimal snowflakes: compare as numbers without BigInt (no leading zeros). */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

export const ID_PATTERN = /^[1-9][0-9]{0,18}$/;

/** Timeline order: newest created_at first, then highest id first. */
function newestFirst(a: { ms: number; id: string }, b: { ms: number; id: string }): number {
  return b.ms - a.ms || compareIds(b.id, a.id);
}

function toMs(iso: string, id: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`fake X: post ${id} has an invalid created_at: ${iso}`);
  return ms;
}

function checkId(id: string): void {
  // Real X ids are numeric; since_id/until_id and the /2/tweets validation rely on it.
  if (!ID_PATTERN.test(id)) throw new Error(`fake X: post id must be a numeric string like X's, got "${id}"`);
}

export class PostStore {
  private readonly byId = new Map<string, Entry>();
  private readonly byAuthor = new Map<string, { entries: Entry[]; sorted: boolean }>();

  private insert(authorId: string, e: Entry): void {
    const old = this.byId.get(e.id);
    if (old) old.dead = true; // replaced (e.g. an edit): dropped at the next sort
    this.byId.set(e.id, e);
    let list = this.byAuthor.get(authorId);
    if (!list) this.byAuthor.set(authorId, (list = { entries: [], sorted: true }));
    list.entries.push(e);
    list.sorted = false;
    if (old) for (const l of this.byAuthor.values()) l.sorted = false;
  }

  add(post: FakeXPost): void {
    checkId(post.id);
    this.insert(post.author_id, { id: post.id, ms: toMs(post.created_at, post.id), post: { ...post }, i: 0 });
  }

  /** `make` must be deterministic: it is called again whenever the post is served. */
  addGenerated(authorId: string, count: number, make: MakePost): void {
    const gen: GenSource = { authorId, make };
    for (let i = 0; i < count; i++) {
      const p = make(i);
      checkId(p.id);
      this.insert(authorId, { id: p.id, ms: toMs(p.created_at, p.id), gen, i });
    }
  }

  private materialize(e: Entry): FakeXPost {
    if (e.post) return e.post;
    const gen = e.gen!;
    const p = gen.make(e.i);
    if (p.id !== e.id) throw new Error(`fake X: addGeneratedPosts make(${e.i}) is not deterministic (id ${e.id} became ${p.id})`);
    return { ...p, author_id: gen.authorId };
  }

  /** The post is gone, as a deleted post is: no timeline or lookup serves it any more. */
  remove(id: string): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    e.dead = true;
    this.byId.delete(id);
    for (const l of this.byAuthor.values()) l.sorted = false;
    return true;
  }

  get(id: string): FakeXPost | undefined {
    const e = this.byId.get(id);
    return e && this.materialize(e);
  }

  /** Every post still served, newest first (each version of an edit chain too): mentions scan it. */
  list(): FakeXPost[] {
    const live = [...this.byId.values()].filter((e) => !e.dead).sort(newestFirst);
    return live.map((e) => this.materialize(e));
  }

  hasAuthor(authorId: string): boolean {
    return this.byAuthor.has(authorId);
  }

  private sortedEntries(authorId: string): Entry[] {
    const list = this.byAuthor.get(authorId);
    if (!list) return [];
    if (!list.sorted) {
      list.entries = list.entries.filter((e) => !e.dead).sort(newestFirst);
      list.sorted = true;
    }
    return list.entries;
  }

  /**
   * One page of GET /2/users/:id/tweets. Only the newest `cap` posts are reachable; within them,
   * time bounds are found by binary search so paging a 200,000-post timeline stays cheap.
   */
  timelinePage(authorId: string, q: TimelineQuery): { posts: FakeXPost[]; nextToken?: string } {
    const all = this.sortedEntries(authorId);
    const reachable = Math.min(all.length, q.cap);
    // First index whose key sorts at or after `key` in newest-first order.
    const seek = (key: { ms: number; id: string }): number => {
      let lo = 0;
      let hi = reachable;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (newestFirst(all[mid]!, key) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let from = q.endMs === undefined ? 0 : seek({ ms: q.endMs, id: '9999999999999999999' });
    const to = q.startMs === undefined ? reachable : seek({ ms: q.startMs - 1, id: '9999999999999999999' });
    if (q.cursor) from = Math.max(from, seek(q.cursor));

    const posts: FakeXPost[] = [];
    for (let i = from; i < to; i++) {
      const e = all[i]!;
      if (q.sinceId && compareIds(e.id, q.sinceId) <= 0) continue;
      if (q.untilId && compareIds(e.id, q.untilId) >= 0) continue;
      const p = this.materialize(e);
      // Timelines list only the newest version of an edited post.
      const chain = p.edit_history_tweet_ids ?? [];
      if (chain.length > 1 && chain[chain.length - 1] !== p.id) continue;
      const refs = p.referenced_tweets ?? [];
      if (q.excludeRetweets && refs.some((r) => r.type === 'retweeted')) continue;
      if (q.excludeReplies && refs.some((r) => r.type === 'replied_to')) continue;
      // One match past a full page means more remain: the token points straight at it.
      if (posts.length === q.maxResults) return { posts, nextToken: encodeCursor(e) };
      posts.push(p);
    }
    return { posts };
  }
}

export interface TimelineQuery {
  cap: number;
  maxResults: number;
  startMs?: number;
  endMs?: number;
  sinceId?: string;
  untilId?: string;
  cursor?: { ms: number; id: string };
  excludeRetweets?: boolean;
  excludeReplies?: boolean;
}

/** Pagination tokens are opaque to clients, as X's are; ours name the next post to return. */
export function encodeCursor(e: { ms: number; id: string }): string {
  return Buffer.from(`${e.ms}:${e.id}`).toString('base64url');
}
export function decodeCursor(token: string): { ms: number; id: string } | undefined {
  const m = /^(-?\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  return m ? { ms: Number(m[1]), id: m[2]! } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering: field selection, escaping and expansions, in X's v2 shapes.

/** X HTML-escapes exactly these three characters in `text` and `note_tweet.text`. */
export function xEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface FieldSets { tweet: Set<string>; user: Set<string>; media: Set<string>; poll: Set<string>; place: Set<string>; expansions: Set<string> }

/** Finds a user by username, as X resolves a mention. */
export type LookupUsername = (username: string) => FakeXUser | undefined;

/** Code point offsets of each occurrence of `needle` in `served` (X counts code points of the escaped text). */
function occurrences(served: string, needle: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let i = served.indexOf(needle);
  while (i >= 0) {
    const start = Array.from(served.slice(0, i)).length;
    out.push({ start, end: start + Array.from(needle).length });
    i = served.indexOf(needle, i + needle.length);
  }
  return out;
}

function displayUrl(expanded: string): string {
  const bare = expanded.replace(/^https?:\/\/(www\.)?/, '');
  return bare.length > 26 ? `${bare.slice(0, 25)}…` : bare;
}

/** entities.urls and entities.mentions of a text as X serves it; undefined when it has none. */
export function entitiesOf(served: string, links: FakeXLink[], lookupUsername: LookupUsername): Record<string, unknown> | undefined {
  const urls = links
    .flatMap((l) =>
      occurrences(served, l.url).map((at) => ({
        ...at, url: l.url, expanded_url: l.expanded_url, display_url: l.display_url ?? displayUrl(l.expanded_url),
        ...(l.media_key ? { media_key: l.media_key } : {}),
        ...(l.title ? { title: l.title } : {}),
        ...(l.unwound_url ? { unwound_url: l.unwound_url } : {}),
      })),
    )
    .sort((a, b) => a.start - b.start);
  const mentions = [...served.matchAll(/(^|[^\w@])@(\w{1,15})/g)].map((m) => {
    const start = Array.from(served.slice(0, m.index + m[1]!.length)).length;
    const user = lookupUsername(m[2]!);
    return { start, end: start + 1 + m[2]!.length, username: m[2]!, ...(user ? { id: user.id } : {}) };
  });
  if (!urls.length && !mentions.length) return undefined;
  return { ...(urls.length ? { urls } : {}), ...(mentions.length ? { mentions } : {}) };
}

export function renderPost(p: FakeXPost, fields: Set<string>, lookupUsername: LookupUsername = () => undefined): Record<string, unknown> {
  const text = xEscape(p.text);
  const out: Record<string, unknown> = {
    id: p.id,
    text,
    edit_history_tweet_ids: p.edit_history_tweet_ids ?? [p.id],
  };
  if (fields.has('created_at')) out.created_at = new Date(p.created_at).toISOString();
  if (fields.has('author_id')) out.author_id = p.author_id;
  if (fields.has('conversation_id')) out.conversation_id = p.conversation_id ?? p.id;
  if (fields.has('in_reply_to_user_id') && p.in_reply_to_user_id) out.in_reply_to_user_id = p.in_reply_to_user_id;
  if (fields.has('referenced_tweets') && p.referenced_tweets?.length) out.referenced_tweets = p.referenced_tweets.map((r) => ({ ...r }));
  if (fields.has('attachments') && (p.media?.length || p.poll)) {
    out.attachments = { ...(p.media?.length ? { media_keys: p.media.map((m) => m.media_key) } : {}), ...(p.poll ? { poll_ids: [p.poll.id] } : {}) };
  }
  if (fields.has('entities')) {
    const entities = entitiesOf(text, p.links ?? [], lookupUsername);
    if (entities) out.entities = entities;
  }
  if (fields.has('geo') && p.place) out.geo = { place_id: p.place.id };
  if (fields.has('withheld') && p.withheld) out.withheld = { copyright: p.withheld.copyright ?? false, country_codes: [...p.withheld.country_codes], ...(p.withheld.scope ? { scope: p.withheld.scope } : {}) };
  if (fields.has('public_metrics')) {
    out.public_metrics = { retweet_count: 0, reply_count: 0, like_count: p.like_count ?? 0, quote_count: 0, bookmark_count: 0, impression_count: 0 };
  }
  if (fields.has('note_tweet') && p.note_tweet_text !== undefined) {
    const note = xEscape(p.note_tweet_text);
    const entities = fields.has('entities') ? entitiesOf(note, p.links ?? [], lookupUsername) : undefined;
    out.note_tweet = { text: note, ...(entities ? { entities } : {}) };
  }
  return out;
}

export function renderPoll(poll: FakeXPoll, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: poll.id, options: poll.options.map((o) => ({ ...o })) };
  if (fields.has('voting_status') && poll.voting_status) out.voting_status = poll.voting_status;
  if (fields.has('end_datetime') && poll.end_datetime) out.end_datetime = poll.end_datetime;
  if (fields.has('duration_minutes') && poll.duration_minutes !== undefined) out.duration_minutes = poll.duration_minutes;
  return out;
}

export function renderPlace(place: FakeXPlace, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: place.id, full_name: place.full_name };
  for (const name of ['country', 'country_code', 'name', 'place_type'] as const) if (fields.has(name) && place[name] !== undefined) out[name] = place[name];
  return out;
}

export function renderUser(u: FakeXUser, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: u.id, name: u.name, username: u.username };
  if (fields.has('profile_image_url') && u.profile_image_url) out.profile_image_url = u.profile_image_url;
  return out;
}

export function renderMedia(m: FakeXMedia, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { media_key: m.media_key, type: m.type };
  if (fields.has('url') && m.url) out.url = m.url;
  if (fields.has('preview_image_url') && m.preview_image_url) out.preview_image_url = m.preview_image_url;
  if (fields.has('alt_text') && m.alt_text !== undefined) out.alt_text = m.alt_text;
  if (fields.has('variants') && m.variants) out.variants = m.variants.map((v) => ({ ...v }));
  return out;
}

export type XError = Record<string, unknown>;

export function notFound(resource: 'tweet' | 'user', parameter: string, id: string): XError {
  return {
    value: id, detail: `Could not find ${resource} with ${parameter}: [${id}].`, title: 'Not Found Error',
    resource_type: resource, parameter, resource_id: id, type: 'https://api.twitter.com/2/problems/resource-not-found',
  };
}

/**
 * Builds `{data, includes, errors}` for a list of primary posts, honouring `expansions`.
 * Empty parts are omitted, as X omits them; includes are de-duplicated.
 */
export function renderPosts(
  posts: FakeXPost[],
  f: FieldSets,
  lookupPost: (id: string) => FakeXPost | undefined,
  lookupUser: (id: string) => FakeXUser | undefined,
  lookupUsername: LookupUsername = () => undefined,
): { data?: Record<string, unknown>[]; includes?: Record<string, unknown[]>; errors?: XError[] } {
  const users = new Map<string, Record<string, unknown>>();
  const tweets = new Map<string, Record<string, unknown>>();
  const media = new Map<string, Record<string, unknown>>();
  const polls = new Map<string, Record<string, unknown>>();
  const places = new Map<string, Record<string, unknown>>();
  const errors: XError[] = [];
  const addUser = (id: string | undefined): void => {
    const u = id === undefined || users.has(id) ? undefined : lookupUser(id);
    if (u) users.set(u.id, renderUser(u, f.user));
  };
  const addMedia = (p: FakeXPost): void => {
    for (const m of p.media ?? []) if (!media.has(m.media_key)) media.set(m.media_key, renderMedia(m, f.media));
  };
  const x = f.expansions;
  const render = (p: FakeXPost): Record<string, unknown> => renderPost(p, f.tweet, lookupUsername);
  // X gives a retweet its original's attachments (seen in recorded responses): its media and poll expand with it.
  const shown = (p: FakeXPost): FakeXPost => {
    const rt = p.referenced_tweets?.find((r) => r.type === 'retweeted');
    const original = rt && !p.media?.length && !p.poll ? lookupPost(rt.id) : undefined;
    return original ? { ...p, ...(original.media ? { media: original.media } : {}), ...(original.poll ? { poll: original.poll } : {}) } : p;
  };
  const primary = posts.map(shown);
  for (const p of primary) {
    if (x.has('author_id')) addUser(p.author_id);
    if (x.has('in_reply_to_user_id')) addUser(p.in_reply_to_user_id);
    if (x.has('entities.mentions.username')) {
      for (const m of p.text.matchAll(/(^|[^\w@])@(\w{1,15})/g)) addUser(lookupUsername(m[2]!)?.id);
    }
    if (x.has('attachments.media_keys')) addMedia(p);
    if (x.has('attachments.poll_ids') && p.poll && !polls.has(p.poll.id)) polls.set(p.poll.id, renderPoll(p.poll, f.poll));
    if (x.has('geo.place_id') && p.place && !places.has(p.place.id)) places.set(p.place.id, renderPlace(p.place, f.place));
    if (x.has('edit_history_tweet_ids') && (p.edit_history_tweet_ids?.length ?? 0) > 1) {
      // Every version, this one too, as X returns them; their media are not expanded.
      for (const id of p.edit_history_tweet_ids!) {
        const v = tweets.has(id) ? undefined : lookupPost(id);
        if (v) tweets.set(v.id, render(v));
      }
    }
    if (!x.has('referenced_tweets.id')) continue;
    for (const ref of p.referenced_tweets ?? []) {
      if (tweets.has(ref.id)) continue;
      const r = lookupPost(ref.id);
      if (!r) {
        // X reports an unavailable referenced post (deleted, protected) as a partial error.
        if (!errors.some((e) => e.resource_id === ref.id)) errors.push(notFound('tweet', 'referenced_tweets.id', ref.id));
        continue;
      }
      tweets.set(r.id, render(r));
      if (x.has('referenced_tweets.id.author_id')) addUser(r.author_id);
      if (x.has('referenced_tweets.id.attachments.media_keys')) addMedia(r);
    }
  }
  const includes: Record<string, unknown[]> = {};
  if (users.size) includes.users = [...users.values()];
  if (tweets.size) includes.tweets = [...tweets.values()];
  if (media.size) includes.media = [...media.values()];
  if (polls.size) includes.polls = [...polls.values()];
  if (places.size) includes.places = [...places.values()];
  return {
    ...(posts.length ? { data: primary.map(render) } : {}),
    ...(Object.keys(includes).length ? { includes } : {}),
    ...(errors.length ? { errors } : {}),
  };
}
