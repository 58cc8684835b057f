import type { TweetV2, ApiV2Includes, TwitterApi } from 'twitter-api-v2';
// twitter-api-v2 does not re-export its DM types from the package root.
import type { DMEventV2 } from 'twitter-api-v2/dist/esm/types/v2/dm.v2.types';
import type { XReads } from '../store/types';
import { PermanentError, TransientError } from '../errors';
import { createTwitterApi, translateXError, type AppCredentials, type UserTokens } from '../x/xClient';
import { sleep, withRetry, type RetryPolicy } from './retry';

/** One page of posts with the objects X expanded for it. */
export interface PostPage {
  data: TweetV2[];
  includes: ApiV2Includes;
  /** What X said of posts it did not return (asked for by id, or referenced: deleted, protected…). */
  errors?: XResourceError[];
}

/** One entry of X's `errors[]`: a resource it did not return, and why. */
export interface XResourceError {
  title?: string;
  detail?: string;
  type?: string;
  resource_type?: string;
  resource_id?: string;
  value?: string;
}

/**
 * Everything a faithful Item needs (../shared/X-API.md, "Fields a faithful record needs"): full
 * text and its links, threading, references expanded with their authors and media, every version
 * of an edited post, polls, places, withholding, likes, the author and mentioned users, media.
 */
export const POST_QUERY = {
  'tweet.fields':
    'id,text,created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,attachments,entities,note_tweet,edit_history_tweet_ids,edit_controls,public_metrics,geo,withheld,lang,possibly_sensitive,reply_settings',
  // twitter-api-v2 has no type for some of these (referenced_tweets.id…): they are plain strings here.
  expansions:
    'author_id,referenced_tweets.id,referenced_tweets.id.author_id,attachments.media_keys,referenced_tweets.id.attachments.media_keys,attachments.poll_ids,geo.place_id,edit_history_tweet_ids,in_reply_to_user_id,entities.mentions.username',
  'media.fields': 'media_key,type,url,variants,preview_image_url,alt_text,duration_ms,width,height',
  'poll.fields': 'options,end_datetime,voting_status',
  'place.fields': 'full_name,country,country_code',
  'user.fields': 'id,name,username,profile_image_url,verified_type,protected',
};

/** One page of direct messages (MessageCreate events), newest first, with the users, media and posts they name. */
export interface DmPage {
  data: DMEventV2[];
  includes: ApiV2Includes;
}

/**
 * What a DM Item needs (x-api/direct-messages/lookup/integrate.mdx): the message, its
 * conversation, sender and participants (expanded to users), shared posts and media.
 */
export const DM_QUERY = {
  'dm_event.fields': 'id,text,event_type,created_at,dm_conversation_id,sender_id,participant_ids,referenced_tweets,attachments,entities',
  event_types: 'MessageCreate',
  expansions: 'sender_id,participant_ids,attachments.media_keys,referenced_tweets.id',
  'media.fields': POST_QUERY['media.fields'],
  'user.fields': POST_QUERY['user.fields'],
  'tweet.fields': POST_QUERY['tweet.fields'],
};

/** Which source a read is counted for: the X endpoint each one reads. */
export type ReadSource = 'timeline' | 'dirtyEntities' | 'mentions' | 'directMessages';

interface PageResult {
  data?: TweetV2[];
  includes?: ApiV2Includes;
  meta?: { next_token?: string; result_count?: number };
  /** X answers 200 with only errors when the account itself is gone (deleted, suspended). */
  errors?: XResourceError[];
}

/**
 * X's timelines reach back to 2010-11-06 only: an earlier start_time (or an end_time before
 * 00:00:01 that day) is refused with a 400. Nothing posted before then can be listed anyway.
 */
export const TIMELINE_EARLIEST_START = new Date('2010-11-06T00:00:00Z');
export const TIMELINE_EARLIEST_END = new Date('2010-11-06T00:00:01Z');

export interface PostSourceOptions {
  baseUrl: string;
  app: AppCredentials;
  user: UserTokens;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (what: string, err: TransientError, waitMs: number) => void;
  /** Waiting for X's rate-limit reset: when calls resume; null once they do. */
  onRateLimitWait?: (resumesAt: Date | null) => void;
}

/**
 * Reads posts from X API v2 with the job's tokens. Every call goes through withRetry: a 429 waits
 * until x-rate-limit-reset; 5xx and network failures (no answer, half an answer, none in time)
 * back off; 401/403 become a PermanentError.
 * Pages are followed by next_token to the end, never stopping early: a page that leaves no
 * request in the window waits for the reset before the next one.
 */
export class PostSource {
  private readonly client: TwitterApi;
  /** Per endpoint: when a call answered that no request is left, the time it may be called again. */
  private readonly resumeAt = new Map<string, number>();
  /** What this reader got from X, per source, as X charges for it: requests made and resources returned. */
  readonly reads = new Map<ReadSource, XReads>();

  constructor(private readonly opts: PostSourceOptions) {
    this.client = createTwitterApi(opts.baseUrl, { ...opts.app, ...opts.user }, opts.retry.tryTimeoutMs);
  }

  /** Counts an answer X gave (a failed call returns nothing, so X charges nothing for it). */
  private count(source: ReadSource, res: { data?: unknown[]; includes?: ApiV2Includes }): void {
    const r = this.reads.get(source) ?? { requests: 0, posts: 0, users: 0, dmEvents: 0 };
    const data = res.data?.length ?? 0;
    r.requests++;
    r.posts += (source === 'directMessages' ? 0 : data) + (res.includes?.tweets?.length ?? 0);
    r.users += res.includes?.users?.length ?? 0;
    r.dmEvents += source === 'directMessages' ? data : 0;
    this.reads.set(source, r);
  }

  private async get<T extends { data?: unknown[]; includes?: ApiV2Includes } = PageResult>(endpoint: string, query: Record<string, string>, what: string, source: ReadSource): Promise<T> {
    let waiting = false;
    return withRetry(
      async () => {
        // A wait for a 429's reset is over when the next attempt begins.
        if (waiting) this.opts.onRateLimitWait?.(null);
        waiting = false;
        // The last call left no request in the window: wait for its reset rather than meet a
        // certain 429. Only the next call waits, so a last page costs no wait at all.
        const waitMs = (this.resumeAt.get(endpoint) ?? 0) - Date.now();
        if (waitMs > 0) {
          this.opts.onRateLimitWait?.(new Date(Date.now() + waitMs));
          await sleep(waitMs, this.opts.signal);
          this.opts.onRateLimitWait?.(null);
        }
        try {
          const res = await this.client.v2.get<T>(endpoint, query, { fullResponse: true });
          const rl = res.rateLimit;
          if (rl && rl.remaining === 0) this.resumeAt.set(endpoint, rl.reset * 1000 + 250);
          this.count(source, res.data);
          return res.data;
        } catch (err) {
          throw translateXError(err, what);
        }
      },
      this.opts.retry,
      this.opts.signal,
      (err, wait) => {
        // A 429 says when the window resets: the wait is for that.
        if (err.retryAfterMs !== undefined) {
          waiting = true;
          this.opts.onRateLimitWait?.(new Date(Date.now() + wait));
        }
        this.opts.onRetry?.(what, err, wait);
      },
    );
  }

  /**
   * The account's posts created in [start, end], newest first, page by page. The window is cut to
   * what X's timelines cover; a window wholly before that has no posts and costs no call.
   */
  async *timeline(userId: string, start: Date, end: Date): AsyncGenerator<PostPage> {
    yield* this.userTimeline('tweets', userId, start, end, 'Reading the account timeline', 'timeline');
  }

  /**
   * Posts by others that mention the account (replies to it, @mentions, quotes), created in
   * [start, end], newest first; X reaches only the newest 800 of them.
   */
  async *mentions(userId: string, start: Date, end: Date): AsyncGenerator<PostPage> {
    yield* this.userTimeline('mentions', userId, start, end, 'Reading mentions of the account', 'mentions');
  }

  /**
   * The signed-in account's direct messages, newest first, page by page: X has no time filter, so
   * the caller stops once a page reaches before its window (X keeps only the last 30 days).
   */
  async *directMessages(): AsyncGenerator<DmPage> {
    let token: string | undefined;
    do {
      const query: Record<string, string> = { ...DM_QUERY, max_results: '100' };
      if (token) query['pagination_token'] = token;
      const page = await this.get<{ data?: DMEventV2[]; includes?: ApiV2Includes; meta?: { next_token?: string } }>('dm_events', query, 'Reading direct messages', 'directMessages');
      const data = (page.data ?? []).filter((e) => e.event_type === 'MessageCreate');
      if (data.length) yield { data, includes: page.includes ?? {} };
      token = page.meta?.next_token;
    } while (token);
  }

  private async *userTimeline(kind: 'tweets' | 'mentions', userId: string, start: Date, end: Date, what: string, source: ReadSource): AsyncGenerator<PostPage> {
    if (end < TIMELINE_EARLIEST_END) return;
    const from = start < TIMELINE_EARLIEST_START ? TIMELINE_EARLIEST_START : start;
    let token: string | undefined;
    do {
      const query: Record<string, string> = {
        ...POST_QUERY,
        max_results: '100',
        start_time: from.toISOString(),
        end_time: end.toISOString(),
      };
      if (token) query['pagination_token'] = token;
      const page = await this.get(`users/${encodeURIComponent(userId)}/${kind}`, query, what, source);
      // No posts and only errors is not an empty window: the account cannot be read at all.
      if (!page.data?.length && page.errors?.length) {
        const e = page.errors[0]!;
        throw new PermanentError(`${what}: X answered ${e.title ?? 'an error'}${e.detail ? ` (${e.detail})` : ''}`);
      }
      // errors[] beside data names referenced posts X did not return: the Item says so.
      if (page.data?.length) yield { data: page.data, includes: page.includes ?? {}, ...(page.errors?.length ? { errors: page.errors } : {}) };
      token = page.meta?.next_token;
    } while (token);
  }

  /** Posts by id (DirtyEntities), 100 per call; ids X no longer has come back in the page's errors. */
  async *byIds(ids: string[]): AsyncGenerator<PostPage> {
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      const page = await this.get('tweets', { ...POST_QUERY, ids: batch.join(',') }, 'Reading posts by id', 'dirtyEntities');
      if (page.data?.length || page.errors?.length) yield { data: page.data ?? [], includes: page.includes ?? {}, ...(page.errors?.length ? { errors: page.errors } : {}) };
    }
  }
}
