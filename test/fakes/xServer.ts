/**
 * A fake X (Twitter) API server for tests, speaking the real wire format so production code
 * built on twitter-api-v2 runs against it unchanged (only the base URL differs).
 *
 * - OAuth 1.0a three-legged sign-in (request_token → authenticate page → access_token), with
 *   every signed request's HMAC-SHA1 signature verified (see ./oauth1.ts).
 * - API v2: /2/users/me, /2/users/:id/tweets, /2/tweets?ids=, /2/tweets/:id, with field
 *   selection, expansions, X's HTML escaping, the 3,200-post timeline cap and rate-limit headers;
 *   entities (links, mentions) with X's offsets, polls, places, withholding, edit chains (timelines
 *   list the newest version, the edit_history_tweet_ids expansion every one), and errors[] for
 *   referenced posts it no longer has.
 * - Test controls: injected faults (HTTP answers, or network failures: a dropped or reset
 *   connection, half an answer, no answer at all), token revocation, media files and a request log.
 *
 * Plain node:http (no framework) so status codes, headers and bodies are exactly what we write.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseOAuthHeader, verifySignature } from './oauth1';
import { createFakeCompliance, type FakeCompliance } from './xCompliance';
import { CREDITS_SPENT, DM_FORBIDDEN, DmStore, mentionsPage, resourcesOf, type FakeXDm, type Served } from './xConversation';
import { ID_PATTERN, PostStore, decodeCursor, notFound, renderPosts, renderUser, type FieldSets } from './xPosts';

export interface FakeXUser { id: string; name: string; username: string; profile_image_url?: string }
export interface FakeXMedia {
  media_key: string;
  type: 'photo' | 'video' | 'animated_gif';
  url?: string;
  preview_image_url?: string;
  alt_text?: string;
  variants?: { bit_rate?: number; content_type: string; url: string }[];
}
export interface FakeXPost {
  id: string;
  /** RAW, unescaped: the fake escapes & < > when serving, as X does. */
  text: string;
  /** ISO 8601 */
  created_at: string;
  author_id: string;
  conversation_id?: string;
  in_reply_to_user_id?: string;
  referenced_tweets?: { type: 'retweeted' | 'quoted' | 'replied_to'; id: string }[];
  media?: FakeXMedia[];
  like_count?: number;
  /** Raw full text of long posts, served as note_tweet.text. */
  note_tweet_text?: string;
  /**
   * Every version of an edited post, oldest first, the same on each version (X: each edit is a new
   * post id). Timelines serve only the newest; the edit_history_tweet_ids expansion serves them all.
   */
  edit_history_tweet_ids?: string[];
  /**
   * Where the t.co links in text (and note_tweet_text) lead: served as entities.urls with X's
   * offsets, in code points of the escaped text. @mentions in the text are found as X finds them.
   */
  links?: FakeXLink[];
  poll?: FakeXPoll;
  place?: FakeXPlace;
  withheld?: { copyright?: boolean; country_codes: string[]; scope?: 'tweet' | 'user' };
}
export interface FakeXLink {
  /** The t.co link as it stands in the text. */
  url: string;
  expanded_url: string;
  unwound_url?: string;
  display_url?: string;
  /** Set for the link X appends to a post's own photo or video. */
  media_key?: string;
  title?: string;
}
export interface FakeXPoll {
  id: string;
  options: { position: number; label: string; votes: number }[];
  voting_status?: 'open' | 'closed';
  end_datetime?: string;
  duration_minutes?: number;
}
export interface FakeXPlace {
  id: string;
  full_name: string;
  country?: string;
  country_code?: string;
  name?: string;
  place_type?: string;
}
export interface FakeXOptions {
  consumerKey: string;
  consumerSecret: string;
  /** Newest posts of a user reachable through the timeline; default 3200, like X. */
  timelineCap?: number;
  /** Requests per 15-minute window per access token per endpoint; default 900. */
  rateLimit?: number;
  /** Shown in the heading of the authorize page; default "Test Connector App". */
  appName?: string;
  /** When set, request_token refuses any other oauth_callback (except "oob"), as X's allowlist does. */
  callbackUrls?: string[];
}
export interface FakeXRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Decoded Authorization: OAuth parameters, when the request carried them. */
  oauth?: Record<string, string>;
  /** Form-encoded body parameters, when there were any. */
  form?: Record<string, string>;
}
/**
 * One scripted answer to a matching request, used once:
 * - `{ status, headers?, body? }`: that HTTP answer instead of the real one;
 * - `{ kind: 'pass' }`: the real answer (to let the first requests through and fail a later one);
 * - `{ kind: 'drop' }`: the connection is closed once the request is read, before any answer
 *   (the client sees "socket hang up"); `{ kind: 'reset' }` the same with a TCP reset (ECONNRESET);
 * - `{ kind: 'truncate' }`: the real answer's status and headers (its full Content-Length) and the
 *   first half of its body, then the connection is closed — or, with `then: 'stall'`, left open
 *   with nothing more sent;
 * - `{ kind: 'stall' }`: nothing is sent and the connection stays open until the client gives up
 *   (or the fake closes); with `ms`, the real answer comes after that long, if the client still waits.
 */
export type FakeXFault =
  | { kind?: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'pass' | 'drop' | 'reset' }
  | { kind: 'truncate'; then?: 'close' | 'stall' }
  | { kind: 'stall'; ms?: number };
export interface FakeX {
  /** 'http://127.0.0.1:PORT' (no trailing slash) */
  url: string;
  close(): Promise<void>;
  /** Tokens: what signing in as this user yields; omitted → generated at first sign-in. */
  addUser(user: FakeXUser, tokens?: { accessToken: string; accessSecret: string }): void;
  setSignInUser(userId: string): void;
  addPosts(posts: FakeXPost[]): void;
  /** Stores only id/time/index per post; `make` must be deterministic (it is re-run to serve). */
  addGeneratedPosts(authorId: string, count: number, make: (i: number) => Omit<FakeXPost, 'author_id'>): void;
  addMediaFile(path: string, body: Buffer, contentType: string): string;
  authorize(oauthToken: string): { oauth_verifier: string };
  injectFaults(match: RegExp, responses: FakeXFault[]): void;
  revoke(accessToken: string): void;
  requests: FakeXRequest[];
  /** Deletes a post: no endpoint serves it any more, lookups answer resource-not-found, batch compliance reports it. */
  deletePost(id: string): void;
  /** Batch compliance (app-only token, jobs, upload and download URLs): see ./xCompliance.ts. */
  compliance: FakeCompliance;
  /** Direct messages, served by GET /2/dm_events to each participant: see ./xConversation.ts. */
  addDms(list: FakeXDm[]): void;
  /** Whether the X app's permission covers DMs for this access token (default yes): without it, 403. */
  setDmPermission(accessToken: string, allowed: boolean): void;
  /** Pay-per-use credits: each resource served takes one; at 0 every API call answers 402. undefined: unlimited (the default). */
  setCredits(credits: number | undefined): void;
  /** What the fake served per route (users/tweets, users/mentions, tweets, dm_events…): requests and resources, as X would charge. */
  served: Record<string, Served>;
}

const WINDOW_MS = 15 * 60 * 1000;
const TIMESTAMP_SKEW_S = 300;
const JSON_TYPE = 'application/json; charset=utf-8';
const UNAUTHORIZED = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };
const TOO_MANY = { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 };
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
/** The earliest start_time and end_time X's timelines take. */
const EARLIEST_START = '2010-11-06T00:00:00Z';
const EARLIEST_END = '2010-11-06T00:00:01Z';

interface RequestToken { secret: string; callback: string; verifier?: string; userId?: string; used: boolean }
interface AccessToken { secret: string; userId: string; revoked: boolean }

/** X-style 400 for a bad query parameter. */
function invalidRequest(param: string, value: string, message: string): unknown {
  return {
    errors: [{ parameters: { [param]: [value] }, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  };
}

const csv = (v: string | undefined): Set<string> => new Set((v ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const token = (bytes: number): string => randomBytes(bytes).toString('base64url');
const html = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title></head><body><main>${body}</main></body></html>`;
}

export async function startFakeX(opts: FakeXOptions): Promise<FakeX> {
  const cap = opts.timelineCap ?? 3200;
  const limit = opts.rateLimit ?? 900;
  const appName = opts.appName ?? 'Test Connector App';
  const users = new Map<string, { user: FakeXUser; tokens?: { accessToken: string; accessSecret: string } }>();
  const accessTokens = new Map<string, AccessToken>();
  const requestTokens = new Map<string, RequestToken>();
  const posts = new PostStore();
  const media = new Map<string, { body: Buffer; contentType: string }>();
  const faults: { match: RegExp; responses: FakeXFault[] }[] = [];
  const windows = new Map<string, { start: number; count: number }>();
  const seenNonces = new Map<string, number>();
  const requests: FakeXRequest[] = [];
  let signInUserId: string | undefined;
  const dms = new DmStore();
  const noDmPermission = new Set<string>();
  let credits: number | undefined;
  const served: Record<string, Served> = {};

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    let payload: Buffer;
    let type: string;
    if (body === undefined) [payload, type] = [Buffer.alloc(0), 'text/plain; charset=utf-8'];
    else if (Buffer.isBuffer(body)) [payload, type] = [body, 'application/octet-stream'];
    else if (typeof body === 'string') [payload, type] = [Buffer.from(body), 'text/plain; charset=utf-8'];
    else [payload, type] = [Buffer.from(JSON.stringify(body)), JSON_TYPE];
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    res.writeHead(status, { 'content-type': type, 'content-length': String(payload.length), ...lower });
    res.end(payload);
  }
  const compliance = createFakeCompliance({ consumerKey: opts.consumerKey, consumerSecret: opts.consumerSecret, base: () => base, send });
  const sendHtml = (res: http.ServerResponse, status: number, body: string): void =>
    send(res, status, body, { 'content-type': 'text/html; charset=utf-8' });
  /** X answers the OAuth token endpoints with form-encoded text labelled text/html. */
  const sendForm = (res: http.ServerResponse, fields: Record<string, string>): void =>
    send(res, 200, new URLSearchParams(fields).toString(), { 'content-type': 'text/html; charset=utf-8' });

  /** Access tokens for a user: the ones given to addUser, or fresh ones (also after a revoke). */
  function tokensFor(userId: string): { accessToken: string; accessSecret: string } {
    const entry = users.get(userId)!;
    const current = entry.tokens && accessTokens.get(entry.tokens.accessToken);
    if (entry.tokens && current && !current.revoked) return entry.tokens;
    entry.tokens = { accessToken: `${userId}-${token(24)}`, accessSecret: token(32) };
    accessTokens.set(entry.tokens.accessToken, { secret: entry.tokens.accessSecret, userId, revoked: false });
    return entry.tokens;
  }

  function authorizeToken(oauthToken: string): string {
    const rt = requestTokens.get(oauthToken);
    if (!rt || rt.used) throw new Error(`fake X: unknown or used request token ${oauthToken}`);
    if (!signInUserId) throw new Error('fake X: no user to sign in as (call addUser first)');
    rt.userId = signInUserId;
    rt.verifier ??= token(24);
    return rt.verifier;
  }

  /**
   * Verifies the OAuth 1.0a signature; returns the oauth_token used ('' for none) or undefined
   * when the request must be refused. Nonces are single-use and timestamps must be recent.
   */
  function authenticate(method: string, baseUrl: string, q: [string, string][], b: [string, string][], oauth: Record<string, string> | undefined): string | undefined {
    if (!oauth || oauth['oauth_consumer_key'] !== opts.consumerKey) return undefined;
    if (oauth['oauth_signature_method'] !== 'HMAC-SHA1') return undefined;
    if (oauth['oauth_version'] !== undefined && oauth['oauth_version'] !== '1.0') return undefined;
    const ts = Number(oauth['oauth_timestamp']);
    const now = Date.now() / 1000;
    if (!Number.isFinite(ts) || Math.abs(now - ts) > TIMESTAMP_SKEW_S) return undefined;
    const nonceKey = `${oauth['oauth_nonce'] ?? ''}:${ts}`;
    if (!oauth['oauth_nonce'] || seenNonces.has(nonceKey)) return undefined;
    const tok = oauth['oauth_token'] ?? '';
    const secret = tok === '' ? '' : (requestTokens.get(tok)?.secret ?? accessTokens.get(tok)?.secret);
    if (secret === undefined) return undefined;
    if (!verifySignature({ method, baseUrl, queryPairs: q, bodyPairs: b, oauth }, opts.consumerSecret, secret)) return undefined;
    seenNonces.set(nonceKey, ts);
    if (seenNonces.size > 10_000) for (const [k, t] of seenNonces) if (now - t > TIMESTAMP_SKEW_S) seenNonces.delete(k);
    return tok;
  }

  /** Counts the request in its 15-minute window; returns the x-rate-limit-* headers and whether it is over. */
  function rateLimit(key: string): { headers: Record<string, string>; over: boolean } {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) windows.set(key, (w = { start: now, count: 0 }));
    w.count++;
    const headers = {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - w.count)),
      'x-rate-limit-reset': String(Math.ceil((w.start + WINDOW_MS) / 1000)),
    };
    return { headers, over: w.count > limit };
  }

  function handleOAuth(req: http.IncomingMessage, res: http.ServerResponse, path: string, params: URLSearchParams, authTok: () => string | undefined): void {
    const denied = (text: string): void => send(res, 401, text);
    if (path === '/oauth/request_token' && req.method === 'POST') {
      if (authTok() === undefined) return denied('Could not authenticate you.');
      const callback = params.get('oauth_callback');
      if (!callback) return send(res, 400, 'oauth_callback is required');
      if (callback !== 'oob' && opts.callbackUrls && !opts.callbackUrls.includes(callback)) {
        return send(res, 403, { errors: [{ code: 415, message: 'Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings' }] });
      }
      const oauthToken = token(20);
      const secret = token(24);
      requestTokens.set(oauthToken, { secret, callback, used: false });
      return sendForm(res, { oauth_token: oauthToken, oauth_token_secret: secret, oauth_callback_confirmed: 'true' });
    }
    if (path === '/oauth/access_token' && req.method === 'POST') {
      const tok = authTok();
      const rt = tok ? requestTokens.get(tok) : undefined;
      if (!tok || !rt) return denied('Could not authenticate you.');
      if (rt.used || !rt.verifier || !rt.userId || params.get('oauth_verifier') !== rt.verifier) {
        return denied('Error processing your OAuth request: Invalid oauth_verifier parameter');
      }
      rt.used = true; // request token and verifier are single-use
      const t = tokensFor(rt.userId);
      const u = users.get(rt.userId)!.user;
      return sendForm(res, { oauth_token: t.accessToken, oauth_token_secret: t.accessSecret, user_id: u.id, screen_name: u.username });
    }
    if ((path === '/oauth/authenticate' || path === '/oauth/authorize') && req.method === 'GET') {
      const oauthToken = params.get('oauth_token') ?? '';
      const rt = requestTokens.get(oauthToken);
      if (!rt || rt.used) return sendHtml(res, 400, page('Error', '<h1>This page is no longer valid.</h1><p>The request token is invalid or has expired.</p>'));
      const who = signInUserId ? `<p>Signed in as @${html(users.get(signInUserId)!.user.username)}</p>` : '';
      const t = encodeURIComponent(oauthToken);
      return sendHtml(res, 200, page('Authorize app',
        `<h1>${html(appName)} wants to access your X account.</h1>${who}` +
        `<form method="get" action="/oauth/authorize/allow"><input type="hidden" name="oauth_token" value="${html(oauthToken)}">` +
        `<button type="submit" id="allow">Authorize app</button></form>` +
        `<p><a id="cancel" href="/oauth/authorize/deny?oauth_token=${t}">Cancel</a></p>`));
    }
    if ((path === '/oauth/authorize/allow' || path === '/oauth/authorize/deny') && req.method === 'GET') {
      const oauthToken = params.get('oauth_token') ?? '';
      const rt = requestTokens.get(oauthToken);
      if (!rt || rt.used || !signInUserId) return sendHtml(res, 400, page('Error', '<h1>This page is no longer valid.</h1>'));
      const allow = path.endsWith('/allow');
      const fields: Record<string, string> = allow
        ? { oauth_token: oauthToken, oauth_verifier: authorizeToken(oauthToken) }
        : { denied: oauthToken };
      if (!allow) rt.used = true;
      if (rt.callback === 'oob') {
        return sendHtml(res, 200, page('Authorize app', allow ? `<p>PIN: <code>${html(fields.oauth_verifier!)}</code></p>` : '<p>You have not authorized the app.</p>'));
      }
      let target: URL;
      try { target = new URL(rt.callback); } catch { return sendHtml(res, 400, page('Error', '<h1>Invalid callback</h1>')); }
      for (const [k, v] of Object.entries(fields)) target.searchParams.set(k, v);
      res.writeHead(302, { location: target.toString(), 'content-length': '0' });
      return void res.end();
    }
    send(res, 404, 'Not found');
  }

  function handleApi(res: http.ServerResponse, path: string, q: URLSearchParams, tok: string | undefined): void {
    const at = tok ? accessTokens.get(tok) : undefined;
    if (!tok || !at || at.revoked) return send(res, 401, UNAUTHORIZED);
    const route = path === '/2/users/me' ? 'users/me'
      : /^\/2\/users\/[^/]+\/tweets$/.test(path) ? 'users/tweets'
      : /^\/2\/users\/[^/]+\/mentions$/.test(path) ? 'users/mentions'
      : path === '/2/dm_events' ? 'dm_events'
      : path === '/2/tweets' ? 'tweets'
      : /^\/2\/tweets\/[^/]+$/.test(path) ? 'tweets/id' : undefined;
    if (!route) return send(res, 404, { title: 'Not Found Error', detail: 'Not Found', type: 'about:blank', status: 404 });
    const rl = rateLimit(`${tok} ${route}`);
    if (rl.over) return send(res, 429, TOO_MANY, rl.headers);
    if (credits !== undefined && credits <= 0) return send(res, 402, CREDITS_SPENT, rl.headers);
    const ok = (body: unknown): void => {
      // Counted as X charges: per resource served (a soft once-a-day guarantee aside).
      const n = resourcesOf(route, body);
      const s = (served[route] ??= { requests: 0, posts: 0, users: 0, dmEvents: 0 });
      s.requests++;
      s.posts += n.posts;
      s.users += n.users;
      s.dmEvents += n.dmEvents;
      if (credits !== undefined) credits = Math.max(0, credits - n.posts - n.users - n.dmEvents);
      send(res, 200, body, rl.headers);
    };
    const bad = (body: unknown): void => send(res, 400, body, rl.headers);
    const fields = (name: string): Set<string> => csv(q.get(name) ?? undefined);
    const f: FieldSets = {
      tweet: fields('tweet.fields'), user: fields('user.fields'), media: fields('media.fields'),
      poll: fields('poll.fields'), place: fields('place.fields'), expansions: fields('expansions'),
    };
    const lookupUser = (id: string): FakeXUser | undefined => users.get(id)?.user;
    const lookupUsername = (name: string): FakeXUser | undefined => {
      for (const { user } of users.values()) if (user.username.toLowerCase() === name.toLowerCase()) return user;
      return undefined;
    };
    const lookupPost = (id: string): FakeXPost | undefined => posts.get(id);

    if (route === 'users/me') return ok({ data: renderUser(users.get(at.userId)!.user, f.user) });

    if (route === 'tweets/id') {
      const id = path.slice('/2/tweets/'.length);
      if (!ID_PATTERN.test(id)) return bad(invalidRequest('id', id, `The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$`));
      const p = posts.get(id);
      if (!p) return ok({ errors: [notFound('tweet', 'id', id)] });
      const r = renderPosts([p], f, lookupPost, lookupUser, lookupUsername);
      return ok({ ...r, data: r.data![0] });
    }

    if (route === 'tweets') {
      const ids = (q.get('ids') ?? '').split(',').filter(Boolean);
      if (ids.length < 1 || ids.length > 100) {
        return bad(invalidRequest('ids', q.get('ids') ?? '', `The number of values in the \`ids\` query parameter list [${ids.length}] is not between 1 and 100`));
      }
      const wrong = ids.find((id) => !ID_PATTERN.test(id));
      if (wrong) return bad(invalidRequest('ids', wrong, `The \`ids\` query parameter value [${wrong}] does not match ^[0-9]{1,19}$`));
      const found = ids.map((id) => posts.get(id)).filter((p): p is FakeXPost => !!p);
      const missing = ids.filter((id) => !posts.get(id)).map((id) => notFound('tweet', 'ids', id));
      const r = renderPosts(found, f, lookupPost, lookupUser, lookupUsername);
      const errors = [...missing, ...(r.errors ?? [])];
      return ok({ ...r, ...(errors.length ? { errors } : {}) });
    }

    const lookups = { posts: () => posts.list(), post: lookupPost, user: lookupUser, username: lookupUsername };
    if (route === 'dm_events') {
      if (noDmPermission.has(tok)) return send(res, 403, DM_FORBIDDEN, rl.headers);
      const types = q.get('event_types');
      if (types !== null && !csv(types).has('MessageCreate')) return ok({ meta: { result_count: 0 } });
      const mr = q.get('max_results');
      const maxResults = mr === null ? 100 : Number(mr);
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
        return bad(invalidRequest('max_results', mr ?? '', `The \`max_results\` query parameter value [${mr}] is not between 1 and 100`));
      }
      const pt = q.get('pagination_token');
      const cursor = pt === null ? undefined : decodeCursor(pt);
      if (pt !== null && !cursor) return bad(invalidRequest('pagination_token', pt, `The \`pagination_token\` query parameter value [${pt}] is not valid`));
      return ok(dms.page(at.userId, { maxResults, ...(cursor ? { cursor } : {}) }, { ...f, dm: fields('dm_event.fields') }, lookups));
    }

    // route === 'users/tweets' or 'users/mentions'
    const userId = path.split('/')[3]!;
    if (!ID_PATTERN.test(userId)) return bad(invalidRequest('id', userId, `The \`id\` query parameter value [${userId}] does not match ^[0-9]{1,19}$`));
    const mr = q.get('max_results');
    const maxResults = mr === null ? 10 : Number(mr);
    if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 100) {
      return bad(invalidRequest('max_results', mr ?? '', `The \`max_results\` query parameter value [${mr}] is not between 5 and 100`));
    }
    const times: Record<string, number | undefined> = {};
    for (const name of ['start_time', 'end_time']) {
      const v = q.get(name);
      if (v === null) continue;
      if (!ISO_8601.test(v) || Number.isNaN(Date.parse(v))) {
        return bad(invalidRequest(name, v, `Invalid '${name}':'${v}'. '${name}' must be a valid RFC 3339 date-time`));
      }
      times[name] = Date.parse(v);
    }
    const { start_time: startMs, end_time: endMs } = times;
    // X's timelines begin on 2010-11-06; it refuses a window reaching earlier.
    for (const [name, min, shown] of [['start_time', startMs, EARLIEST_START], ['end_time', endMs, EARLIEST_END]] as const) {
      if (min !== undefined && min < Date.parse(shown)) {
        const v = q.get(name)!;
        return bad(invalidRequest(name, v, `Invalid '${name}':'${v}'. '${name}' must be on or after ${shown}`));
      }
    }
    if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
      return bad(invalidRequest('start_time', q.get('start_time')!, `Invalid 'start_time':'${q.get('start_time')}'. 'start_time' must be before 'end_time':'${q.get('end_time')}'`));
    }
    for (const name of ['since_id', 'until_id']) {
      const v = q.get(name);
      if (v !== null && !ID_PATTERN.test(v)) return bad(invalidRequest(name, v, `The \`${name}\` query parameter value [${v}] does not match ^[0-9]{1,19}$`));
    }
    const pt = q.get('pagination_token');
    const cursor = pt === null ? undefined : decodeCursor(pt);
    if (pt !== null && !cursor) return bad(invalidRequest('pagination_token', pt, `The \`pagination_token\` query parameter value [${pt}] is not valid`));
    if (route === 'users/mentions') {
      const user = users.get(userId)?.user;
      if (!user) return ok({ errors: [notFound('user', 'id', userId)] });
      return ok(mentionsPage(user, { maxResults, startMs, endMs, ...(cursor ? { cursor } : {}) }, f, lookups));
    }
    if (!users.has(userId) && !posts.hasAuthor(userId)) return ok({ errors: [notFound('user', 'id', userId)] });
    const exclude = csv(q.get('exclude') ?? undefined);
    const pageRes = posts.timelinePage(userId, {
      cap, maxResults, startMs, endMs, cursor,
      sinceId: q.get('since_id') ?? undefined, untilId: q.get('until_id') ?? undefined,
      excludeRetweets: exclude.has('retweets'), excludeReplies: exclude.has('replies'),
    });
    const r = renderPosts(pageRes.posts, f, lookupPost, lookupUser, lookupUsername);
    const list = pageRes.posts;
    const meta = list.length
      ? { result_count: list.length, newest_id: list[0]!.id, oldest_id: list[list.length - 1]!.id, ...(pageRes.nextToken ? { next_token: pageRes.nextToken } : {}) }
      : { result_count: 0 };
    return ok({ ...r, meta });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const isForm = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    const queryPairs = [...url.searchParams];
    const bodyPairs = isForm && raw ? [...new URLSearchParams(raw)] : [];
    const oauth = parseOAuthHeader(req.headers.authorization);
    requests.push({
      method, path, query: Object.fromEntries(queryPairs),
      ...(oauth ? { oauth } : {}), ...(bodyPairs.length ? { form: Object.fromEntries(bodyPairs) } : {}),
    });

    // Injected faults win over everything, so tests can script 503s, 429s, 401s and network failures.
    const fault = faults.find((fl) => { fl.match.lastIndex = 0; return fl.responses.length > 0 && fl.match.test(path); });
    if (fault) {
      const r = fault.responses.shift()!;
      switch (r.kind) {
        case undefined:
        case 'status':
          return send(res, r.status, r.body, r.headers);
        case 'pass':
          break;
        case 'drop':
          return void req.socket.destroy();
        case 'reset':
          return void req.socket.resetAndDestroy();
        case 'stall':
          if (r.ms === undefined) return; // never answered: the client's timeout (or close()) ends it
          await new Promise((resolve) => setTimeout(resolve, r.ms));
          if (res.destroyed || req.socket.destroyed) return;
          break; // then the real answer, late
        case 'truncate':
          cutOff(req, res, r.then ?? 'close');
          break; // the real answer goes out, cut in half
      }
    }

    const file = media.get(path);
    if (file && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
      return void res.end(method === 'HEAD' ? undefined : file.body);
    }

    // The signature base URL is exactly what the request hit: scheme, Host header and path.
    const baseUrl = `http://${(req.headers.host ?? '').toLowerCase()}${path}`;
    const authTok = (): string | undefined => authenticate(method, baseUrl, queryPairs, bodyPairs, oauth);
    if (compliance.handle({ req, res, path, method, raw, url })) return;
    if (path.startsWith('/oauth/')) {
      const params = new URLSearchParams([...queryPairs, ...bodyPairs, ...Object.entries(oauth ?? {})]);
      return handleOAuth(req, res, path, params, authTok);
    }
    if (path.startsWith('/2/') && method === 'GET') return handleApi(res, path, url.searchParams, authTok());
    send(res, 404, { title: 'Not Found Error', detail: 'Not Found', type: 'about:blank', status: 404 });
  }

  /** Whatever is answered next goes out with its headers and half its body; then the connection closes or goes silent. */
  function cutOff(req: http.IncomingMessage, res: http.ServerResponse, then: 'close' | 'stall'): void {
    res.end = ((chunk?: unknown) => {
      const body = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? Buffer.from(chunk) : Buffer.alloc(0);
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
        if (then === 'close') req.socket.destroy();
      });
      return res;
    }) as typeof res.end;
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { title: 'Internal Server Error', detail: String(err), type: 'about:blank', status: 500 });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    compliance,
    deletePost(id) {
      if (!posts.remove(id)) throw new Error(`fake X: no post ${id} to delete`);
      compliance.reportPost(id, { reason: 'deleted', redacted_at: new Date().toISOString() });
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections(); // keep-alive sockets from http.Agent would hold close() open
    }),
    addUser(user, tokens) {
      users.set(user.id, { user: { ...user }, ...(tokens ? { tokens: { ...tokens } } : {}) });
      if (tokens) accessTokens.set(tokens.accessToken, { secret: tokens.accessSecret, userId: user.id, revoked: false });
      signInUserId ??= user.id;
    },
    setSignInUser(userId) {
      if (!users.has(userId)) throw new Error(`fake X: unknown user ${userId}`);
      signInUserId = userId;
    },
    addPosts(list) {
      for (const p of list) posts.add(p);
    },
    addGeneratedPosts(authorId, count, make) {
      posts.addGenerated(authorId, count, make);
    },
    addMediaFile(path, body, contentType) {
      if (!path.startsWith('/') || path.startsWith('/2/') || path.startsWith('/oauth/')) {
        throw new Error(`fake X: media path must start with / and not shadow the API: ${path}`);
      }
      media.set(path, { body, contentType });
      return base + path;
    },
    authorize(oauthToken) {
      return { oauth_verifier: authorizeToken(oauthToken) };
    },
    injectFaults(match, responses) {
      faults.push({ match, responses: [...responses] });
    },
    served,
    addDms(list) {
      dms.add(list);
    },
    setDmPermission(accessToken, allowed) {
      if (allowed) noDmPermission.delete(accessToken);
      else noDmPermission.add(accessToken);
    },
    setCredits(n) {
      credits = n;
    },
    revoke(accessToken) {
      const at = accessTokens.get(accessToken);
      if (at) at.revoked = true;
    },
  };
}
