/**
 * The fake X's conversation endpoints beside the account's own posts: mentions of a user and the
 * signed-in user's direct messages, and what the fake charges for what it serves.
 *
 * Shapes, from X's documentation (xdevplatform/docs):
 * - `GET /2/users/:id/mentions` — x-api/posts/timelines (the same `{data, includes, meta}` as
 *   `/2/users/:id/tweets`; `start_time`/`end_time`, `pagination_token`, `max_results` 5–100; only
 *   the newest 800 mentions reachable, per ../../../shared/X-API.md "Reach of each source").
 * - `GET /2/dm_events` — x-api/direct-messages/lookup/integrate.mdx: events newest first, no time
 *   filter, `pagination_token`, events from the last 30 days only; a MessageCreate event is
 *   `{id, event_type, text, sender_id, dm_conversation_id, created_at, attachments,
 *   referenced_tweets}`; expansions `sender_id`, `participant_ids`, `attachments.media_keys`,
 *   `referenced_tweets.id`. `participant_ids` on a MessageCreate event and `entities` are in
 *   twitter-api-v2's BaseDMEventV2 (unverified against X for MessageCreate).
 * Each answer is typed with twitter-api-v2's own types (TweetV2PaginableTimelineResult,
 * GetDMEventV2Result, DMEventV2), so a field the library does not know fails to compile.
 */
import type { TweetV2, TweetV2PaginableTimelineResult, UserV2, MediaObjectV2 } from 'twitter-api-v2';
// twitter-api-v2 does not re-export its DM types from the package root.
import type { DMEventV2, GetDMEventV2Result } from 'twitter-api-v2/dist/esm/types/v2/dm.v2.types';
import { compareIds, encodeCursor, entitiesOf, renderMedia, renderPost, renderPosts, renderUser, xEscape, type FieldSets, type LookupUsername } from './xPosts';
import type { FakeXLink, FakeXMedia, FakeXPost, FakeXUser } from './xServer';

/** X's mentions timeline reaches this many of a user's newest mentions. */
export const MENTIONS_REACH = 800;
/** X keeps direct messages this long. */
export const DM_REACH_MS = 30 * 24 * 3600 * 1000;

export interface FakeXDm {
  id: string;
  /** RAW, unescaped (served escaped, as posts are). */
  text: string;
  created_at: string;
  dm_conversation_id: string;
  sender_id: string;
  participant_ids: string[];
  media?: FakeXMedia[];
  /** Posts the message shares. */
  referenced_tweets?: { type: 'quoted'; id: string }[];
  links?: FakeXLink[];
}

/** What the fake served, per route: the same resources X would charge for. */
export interface Served {
  requests: number;
  posts: number;
  users: number;
  dmEvents: number;
}

export type Answer = { status: number; body: unknown };

export interface ConversationLookups {
  posts: () => FakeXPost[];
  post: (id: string) => FakeXPost | undefined;
  user: (id: string) => FakeXUser | undefined;
  username: LookupUsername;
}

const newestFirst = (a: { created_at: string; id: string }, b: { created_at: string; id: string }): number =>
  Date.parse(b.created_at) - Date.parse(a.created_at) || compareIds(b.id, a.id);

/** A post mentions the user when it names @username, replies to the user, or quotes one of the user's posts. */
function mentions(p: FakeXPost, user: FakeXUser, lookups: ConversationLookups): boolean {
  if (p.in_reply_to_user_id === user.id) return true;
  const named = [...p.text.matchAll(/(^|[^\w@])@(\w{1,15})/g)].some((m) => m[2]!.toLowerCase() === user.username.toLowerCase());
  if (named) return true;
  return (p.referenced_tweets ?? []).some((r) => r.type === 'quoted' && lookups.post(r.id)?.author_id === user.id);
}

/** A cursor names the next item to serve: its time and id. */
function afterCursor(list: { created_at: string; id: string }[], cursor: { ms: number; id: string } | undefined): number {
  if (!cursor) return 0;
  const i = list.findIndex((e) => Date.parse(e.created_at) === cursor.ms && e.id === cursor.id);
  return i < 0 ? list.length : i;
}

/** One page of GET /2/users/:id/mentions: the newest 800 mentions, then the window, then the page. */
export function mentionsPage(
  user: FakeXUser,
  q: { maxResults: number; startMs?: number; endMs?: number; cursor?: { ms: number; id: string } },
  f: FieldSets,
  lookups: ConversationLookups,
): TweetV2PaginableTimelineResult {
  const reachable = lookups
    .posts()
    .filter((p) => {
      // Like timelines, only the newest version of an edited post.
      const chain = p.edit_history_tweet_ids ?? [];
      return !(chain.length > 1 && chain[chain.length - 1] !== p.id) && mentions(p, user, lookups);
    })
    .sort(newestFirst)
    .slice(0, MENTIONS_REACH);
  const inWindow = reachable.filter((p) => {
    const ms = Date.parse(p.created_at);
    return (q.startMs === undefined || ms >= q.startMs) && (q.endMs === undefined || ms <= q.endMs);
  });
  const from = afterCursor(inWindow, q.cursor);
  const page = inWindow.slice(from, from + q.maxResults);
  const next = inWindow[from + q.maxResults];
  const r = renderPosts(page, f, lookups.post, lookups.user, lookups.username);
  const meta = page.length
    ? { result_count: page.length, newest_id: page[0]!.id, oldest_id: page[page.length - 1]!.id, ...(next ? { next_token: encodeCursor({ ms: Date.parse(next.created_at), id: next.id }) } : {}) }
    : { result_count: 0 };
  // twitter-api-v2 types `data` and the ids as required; X omits them when the page is empty, as renderPosts does.
  return { ...(r as unknown as { data: TweetV2[] }), meta: meta as TweetV2PaginableTimelineResult['meta'] };
}

/** Direct messages as X keeps them: every participant sees the conversation. */
export class DmStore {
  private readonly events: FakeXDm[] = [];

  add(list: FakeXDm[]): void {
    this.events.push(...list.map((e) => ({ ...e })));
    this.events.sort(newestFirst);
  }

  /** One page of GET /2/dm_events for the signed-in user: their conversations' events of the last 30 days, newest first. */
  page(userId: string, q: { maxResults: number; cursor?: { ms: number; id: string } }, f: FieldSets & { dm: Set<string> }, lookups: ConversationLookups, now = Date.now()): GetDMEventV2Result {
    const visible = this.events.filter((e) => e.participant_ids.includes(userId) && Date.parse(e.created_at) >= now - DM_REACH_MS);
    const from = afterCursor(visible, q.cursor);
    const page = visible.slice(from, from + q.maxResults);
    const next = visible[from + q.maxResults];
    const users = new Map<string, UserV2>();
    const media = new Map<string, MediaObjectV2>();
    const tweets = new Map<string, TweetV2>();
    const addUser = (id: string): void => {
      const u = users.has(id) ? undefined : lookups.user(id);
      if (u) users.set(id, renderUser(u, f.user) as unknown as UserV2);
    };
    const data: DMEventV2[] = page.map((e) => {
      if (f.expansions.has('sender_id')) addUser(e.sender_id);
      if (f.expansions.has('participant_ids')) e.participant_ids.forEach(addUser);
      if (f.expansions.has('attachments.media_keys')) for (const m of e.media ?? []) media.set(m.media_key, renderMedia(m, f.media) as unknown as MediaObjectV2);
      if (f.expansions.has('referenced_tweets.id')) {
        for (const r of e.referenced_tweets ?? []) {
          const p = lookups.post(r.id);
          if (p) tweets.set(p.id, renderPost(p, f.tweet, lookups.username) as unknown as TweetV2);
        }
      }
      return renderDm(e, f.dm, lookups.username);
    });
    const includes = {
      ...(users.size ? { users: [...users.values()] } : {}),
      ...(media.size ? { media: [...media.values()] } : {}),
      ...(tweets.size ? { tweets: [...tweets.values()] } : {}),
    };
    return {
      ...(data.length ? { data } : { data: [] }),
      ...(Object.keys(includes).length ? { includes } : {}),
      meta: { result_count: data.length, ...(next ? { next_token: encodeCursor({ ms: Date.parse(next.created_at), id: next.id }) } : {}) },
    };
  }
}

/** A MessageCreate event with the dm_event.fields asked for (id, event_type and text always). */
function renderDm(e: FakeXDm, fields: Set<string>, lookupUsername: LookupUsername): DMEventV2 {
  const text = xEscape(e.text);
  const out: DMEventV2 = { id: e.id, event_type: 'MessageCreate', text };
  if (fields.has('created_at')) out.created_at = new Date(e.created_at).toISOString();
  if (fields.has('sender_id')) out.sender_id = e.sender_id;
  if (fields.has('dm_conversation_id')) out.dm_conversation_id = e.dm_conversation_id;
  if (fields.has('participant_ids')) out.participant_ids = [...e.participant_ids];
  if (fields.has('attachments') && e.media?.length) out.attachments = { media_keys: e.media.map((m) => m.media_key) };
  if (fields.has('referenced_tweets') && e.referenced_tweets?.length) out.referenced_tweets = e.referenced_tweets.map((r) => ({ ...r }));
  if (fields.has('entities')) {
    const entities = entitiesOf(text, e.links ?? [], lookupUsername);
    if (entities) out.entities = entities as DMEventV2['entities'];
  }
  return out;
}

/** The resources of an answer, as X counts them for its charge: posts (data and includes), users, DM events. */
export function resourcesOf(route: string, body: unknown): Omit<Served, 'requests'> {
  const b = body as { data?: unknown; includes?: { users?: unknown[]; tweets?: unknown[] } };
  const data = Array.isArray(b.data) ? b.data.length : b.data ? 1 : 0;
  const dm = route === 'dm_events';
  return {
    posts: (dm ? 0 : data) + (b.includes?.tweets?.length ?? 0),
    users: (route === 'users/me' ? data : 0) + (b.includes?.users?.length ?? 0),
    dmEvents: dm ? data : 0,
  };
}

/** X's 403 when the app's permission does not cover DMs (the v1.1 wording, code 93; v2's own is unverified). */
export const DM_FORBIDDEN = {
  title: 'Forbidden',
  type: 'about:blank',
  status: 403,
  detail: 'This application is not allowed to access or delete your direct messages.',
};

/** The 402 a pay-per-use account meets when its credits are spent (seen in a third-party log; X does not document it). */
export const CREDITS_SPENT = {
  title: 'Payment Required',
  type: 'about:blank',
  status: 402,
  detail: 'Your enrolled account does not have any credits to fulfill this request.',
};
