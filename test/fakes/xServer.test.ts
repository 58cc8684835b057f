/**
 * Proves the fake X server speaks X's wire format by driving it with the real client library,
 * twitter-api-v2, redirected from https://api.x.com to the fake (the way production code does
 * it with X_API_BASE_URL).
 */
import * as http from 'node:http';
import { ApiPartialResponseError, ApiRequestError, ApiResponseError, TwitterApi, TwitterV2IncludesHelper, type ITwitterApiClientPlugin, type TwitterApiTokens } from 'twitter-api-v2';
import { redirectPlugin } from '../../src/x/xClient';
import { startFakeX, type FakeX } from './xServer';
import { hmacSha1Signature, percentEncode, signatureBaseString } from './oauth1';

const APP = { appKey: 'test-consumer-key', appSecret: 'test-consumer-secret' };
const CALLBACK = 'http://127.0.0.1:9/Views/TwitterOAuth';
const OWNER = { id: '1001', name: 'Contoso News', username: 'contoso', profile_image_url: 'https://pbs.twimg.com/profile_images/1/a.jpg' };
const OWNER_TOKENS = { accessToken: '1001-presetAccessToken', accessSecret: 'presetAccessSecret' };
const OTHER = { id: '2002', name: 'Fabrikam', username: 'fabrikam' };
const BASE_MS = Date.parse('2024-03-01T00:00:00.000Z');
const minute = (n: number): string => new Date(BASE_MS + n * 60_000).toISOString();

const agent = new http.Agent();
afterAll(() => agent.destroy());

/** The production redirection (src/x/xClient.ts): the fake is driven exactly as X would be. */
function client(fake: FakeX, tokens: Partial<TwitterApiTokens> = {}, extra: ITwitterApiClientPlugin[] = []): TwitterApi {
  return new TwitterApi({ ...APP, ...tokens } as TwitterApiTokens, { httpAgent: agent, plugins: [redirectPlugin(fake.url), ...extra] });
}
/** Runs `fn`, expecting an ApiResponseError, and returns it. */
async function apiError(fn: () => Promise<unknown>): Promise<ApiResponseError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ApiResponseError) return e;
    throw e;
  }
  throw new Error('expected an ApiResponseError');
}

describe('fake X server', () => {
  let fake: FakeX;
  let owner: TwitterApi;

  beforeAll(async () => {
    fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret, appName: 'Contoso Archiver' });
    fake.addUser(OWNER, OWNER_TOKENS);
    fake.addUser(OTHER); // no tokens: generated when someone signs in as this user
    owner = client(fake, OWNER_TOKENS);
  });
  afterAll(() => fake.close());

  test('three-legged OAuth 1.0a sign-in through the authorize page', async () => {
    const app = client(fake);
    const link = await app.generateAuthLink(CALLBACK, { linkMode: 'authenticate' });
    expect(link.oauth_callback_confirmed).toBe('true');
    // The library always names the real host in the link; the browser is sent to the fake.
    expect(link.url).toBe(`https://api.x.com/oauth/authenticate?oauth_token=${encodeURIComponent(link.oauth_token)}`);
    const pageRes = await fetch(link.url.replace('https://api.x.com', fake.url));
    expect(pageRes.status).toBe(200);
    const html = await pageRes.text();
    expect(html).toContain('<title>Authorize app</title>');
    expect(html).toContain('Contoso Archiver');
    expect(html).toMatch(/<button[^>]*>Authorize app<\/button>/);
    expect(html).toMatch(/<a [^>]*>Cancel<\/a>/);

    // Submit the GET form as a browser would.
    const action = /<form method="get" action="([^"]+)">/.exec(html)![1]!;
    const allow = await fetch(`${fake.url}${action}?oauth_token=${encodeURIComponent(link.oauth_token)}`, { redirect: 'manual' });
    expect(allow.status).toBe(302);
    const back = new URL(allow.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get('oauth_token')).toBe(link.oauth_token);
    const verifier = back.searchParams.get('oauth_verifier')!;

    const requestClient = client(fake, { accessToken: link.oauth_token, accessSecret: link.oauth_token_secret });
    const login = await requestClient.login(verifier);
    expect(login).toMatchObject({ userId: OWNER.id, screenName: OWNER.username, ...OWNER_TOKENS });
    expect((await login.client.v2.me()).data.username).toBe('contoso');

    // Request token and verifier are single-use; the page is gone too.
    expect((await apiError(() => requestClient.login(verifier))).code).toBe(401);
    expect((await fetch(`${fake.url}/oauth/authenticate?oauth_token=${link.oauth_token}`)).status).toBe(400);
  });

  test('cancel, programmatic authorize, wrong verifier, other sign-in user', async () => {
    const app = client(fake);
    const cancelled = await app.generateAuthLink(CALLBACK, { linkMode: 'authorize' });
    const html = await (await fetch(cancelled.url.replace('https://api.x.com', fake.url))).text();
    const cancelHref = /<a id="cancel" href="([^"]+)">/.exec(html)![1]!.replace(/&#38;/g, '&');
    const cancel = await fetch(fake.url + cancelHref, { redirect: 'manual' });
    expect(cancel.status).toBe(302);
    expect(new URL(cancel.headers.get('location')!).searchParams.get('denied')).toBe(cancelled.oauth_token);

    fake.setSignInUser(OTHER.id);
    try {
      const link = await app.generateAuthLink(CALLBACK);
      const { oauth_verifier } = fake.authorize(link.oauth_token);
      const requestClient = client(fake, { accessToken: link.oauth_token, accessSecret: link.oauth_token_secret });
      expect((await apiError(() => requestClient.login('wrong-verifier'))).code).toBe(401);
      const login = await requestClient.login(oauth_verifier);
      expect(login).toMatchObject({ userId: OTHER.id, screenName: OTHER.username });
      expect(login.accessToken.startsWith(`${OTHER.id}-`)).toBe(true);
      expect((await login.client.v2.me()).data).toEqual(OTHER);
    } finally {
      fake.setSignInUser(OWNER.id);
    }
  });

  test('signatures are verified: wrong secrets, tampering after signing and replayed nonces get 401', async () => {
    const wrongSecret = client(fake, { ...OWNER_TOKENS, accessSecret: 'not-the-secret' });
    const e1 = await apiError(() => wrongSecret.v2.me());
    expect(e1.code).toBe(401);
    expect(e1.data).toEqual({ title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });

    const wrongApp = new TwitterApi({ appKey: APP.appKey, appSecret: 'nope' }, { httpAgent: agent, plugins: [redirectPlugin(fake.url)] });
    expect((await apiError(() => wrongApp.generateAuthLink(CALLBACK))).code).toBe(401);

    // Change a query parameter after the library signed the request.
    const tamper: ITwitterApiClientPlugin = {
      onBeforeRequest({ computedParams }) { computedParams.url.searchParams.set('user.fields', 'profile_image_url'); },
    };
    expect((await apiError(() => client(fake, OWNER_TOKENS, [tamper]).v2.me({ 'user.fields': ['id'] }))).code).toBe(401);

    // Replay the exact Authorization header of a request that succeeded.
    fake.requests.length = 0;
    await owner.v2.me();
    const signed = fake.requests[0]!.oauth!;
    const header = 'OAuth ' + Object.entries(signed).map(([k, v]) => `${k}="${encodeURIComponent(v)}"`).join(', ');
    const replay = await fetch(`${fake.url}/2/users/me`, { headers: { authorization: header } });
    expect(replay.status).toBe(401);
  });

  test('GET /2/users/me honours user.fields', async () => {
    expect((await owner.v2.me()).data).toEqual({ id: OWNER.id, name: OWNER.name, username: OWNER.username });
    expect((await owner.v2.me({ 'user.fields': ['profile_image_url'] })).data).toEqual(OWNER);
  });

  test('user timeline: newest first, 100 a page with next_token, start_time/end_time inclusive', async () => {
    const userId = '3003';
    fake.addGeneratedPosts(userId, 250, (i) => ({ id: String(900000 + i), text: `post ${i}`, created_at: minute(i) }));
    fake.requests.length = 0;
    const tl = await owner.v2.userTimeline(userId, { max_results: 100, 'tweet.fields': ['created_at', 'author_id'] });
    expect(tl.tweets).toHaveLength(100);
    expect(tl.meta.next_token).toBeDefined();
    await tl.fetchNext();
    expect(tl.tweets).toHaveLength(200);
    await tl.fetchNext();
    expect(tl.tweets).toHaveLength(250);
    expect(tl.done).toBe(true);
    expect(tl.meta.next_token).toBeUndefined();
    const ids = tl.tweets.map((t) => t.id);
    expect(ids[0]).toBe('900249');
    expect(ids[249]).toBe('900000');
    expect(new Set(ids).size).toBe(250);
    expect(tl.tweets[0]).toEqual({ id: '900249', text: 'post 249', created_at: minute(249), author_id: userId, edit_history_tweet_ids: ['900249'] });
    const calls = fake.requests.filter((r) => r.path === `/2/users/${userId}/tweets`);
    expect(calls.map((r) => r.query['pagination_token'] !== undefined)).toEqual([false, true, true]);

    const window = await owner.v2.userTimeline(userId, { max_results: 100, start_time: minute(10), end_time: minute(19) });
    expect(window.tweets.map((t) => t.id)).toEqual(Array.from({ length: 10 }, (_, k) => String(900019 - k)));
    expect(window.meta).toEqual({ result_count: 10, newest_id: '900019', oldest_id: '900010' });

    const bad = await apiError(() => owner.v2.userTimeline(userId, { max_results: 4 }));
    expect(bad.code).toBe(400);
    expect(bad.data).toMatchObject({ title: 'Invalid Request', errors: [{ parameters: { max_results: ['4'] } }] });
    // Timelines begin on 2010-11-06: an earlier start_time or end_time is refused, as X does.
    const early = await apiError(() => owner.v2.userTimeline(userId, { max_results: 100, start_time: '2010-11-05T23:59:59Z' }));
    expect(early.code).toBe(400);
    expect(early.data).toMatchObject({ errors: [{ parameters: { start_time: ['2010-11-05T23:59:59Z'] } }] });
    const earlyEnd = await apiError(() => owner.v2.userTimeline(userId, { max_results: 100, end_time: '2010-11-06T00:00:00Z' }));
    expect(earlyEnd.data).toMatchObject({ errors: [{ parameters: { end_time: ['2010-11-06T00:00:00Z'] } }] });
    expect((await owner.v2.userTimeline(userId, { max_results: 100, start_time: '2010-11-06T00:00:00Z' })).meta.result_count).toBeGreaterThan(0);
  });

  test('only the newest 3,200 posts are reachable', async () => {
    const userId = '4004';
    fake.addGeneratedPosts(userId, 3300, (i) => ({ id: String(800000 + i), text: `old ${i}`, created_at: minute(i) }));
    const tl = await owner.v2.userTimeline(userId, { max_results: 100 });
    while (!tl.done) await tl.fetchNext();
    expect(tl.tweets).toHaveLength(3200);
    expect(tl.tweets[3199]!.id).toBe(String(800000 + 100));
    // Asking past the cap is a success with nothing in it.
    const beyond = await owner.v2.get(`users/${userId}/tweets`, { until_id: String(800000 + 100) });
    expect(beyond).toEqual({ meta: { result_count: 0 } });
  });

  test('GET /2/tweets?ids= reports missing ids as X does; 101 ids is a 400', async () => {
    const res = await owner.v2.tweets(['900005', '123456']);
    expect(res.data.map((t) => t.id)).toEqual(['900005']);
    expect(res.errors).toEqual([{
      value: '123456', detail: 'Could not find tweet with ids: [123456].', title: 'Not Found Error', resource_type: 'tweet',
      parameter: 'ids', resource_id: '123456', type: 'https://api.twitter.com/2/problems/resource-not-found',
    }]);
    const many = Array.from({ length: 101 }, (_, i) => String(900000 + i));
    expect((await apiError(() => owner.v2.tweets(many))).code).toBe(400);
  });

  test('escaping, note_tweet, fields and expansions for referenced posts and media', async () => {
    const photoUrl = fake.addMediaFile('/media/photo1.jpg', Buffer.from('JPEGDATA'), 'image/jpeg');
    const videoUrl = fake.addMediaFile('/media/video1.mp4', Buffer.from('MP4DATA!!'), 'video/mp4');
    const photo = { media_key: '3_1', type: 'photo' as const, url: photoUrl, alt_text: 'a <cat>' };
    const video = {
      media_key: '7_2', type: 'video' as const, preview_image_url: photoUrl,
      variants: [{ content_type: 'application/x-mpegURL', url: `${fake.url}/media/v.m3u8` }, { bit_rate: 832000, content_type: 'video/mp4', url: videoUrl }],
    };
    const userId = '5005';
    fake.addUser({ id: userId, name: 'Archive Me', username: 'archiveme' });
    fake.addPosts([
      { id: '7000001', author_id: OTHER.id, created_at: minute(1), text: 'Original <b> & more', media: [photo] },
      { id: '7000002', author_id: OTHER.id, created_at: minute(2), text: 'A video', media: [video] },
      { id: '7000010', author_id: userId, created_at: minute(10), text: 'RT @fabrikam: Original <b> & more', referenced_tweets: [{ type: 'retweeted', id: '7000001' }] },
      { id: '7000011', author_id: userId, created_at: minute(11), text: 'Look & see…', note_tweet_text: 'Look & see <the whole thing>', like_count: 7,
        referenced_tweets: [{ type: 'quoted', id: '7000002' }], media: [photo] },
      { id: '7000012', author_id: userId, created_at: minute(12), text: '@fabrikam reply', conversation_id: '7000099', in_reply_to_user_id: OTHER.id,
        referenced_tweets: [{ type: 'replied_to', id: '7000099' }] },
    ]);
    const tl = await owner.v2.userTimeline(userId, {
      max_results: 100,
      'tweet.fields': ['created_at', 'author_id', 'conversation_id', 'in_reply_to_user_id', 'referenced_tweets', 'attachments', 'public_metrics', 'note_tweet'],
      // 'referenced_tweets.id' is missing from the library's expansion types: pass strings.
      expansions: ['author_id', 'referenced_tweets.id', 'attachments.media_keys', 'referenced_tweets.id.author_id', 'referenced_tweets.id.attachments.media_keys'] as never,
      'media.fields': ['url', 'variants', 'preview_image_url', 'type', 'alt_text'],
      'user.fields': ['profile_image_url'],
    });
    const [reply, quote, retweet] = tl.tweets;
    expect(retweet!.text).toBe('RT @fabrikam: Original &lt;b&gt; &amp; more');
    expect(quote!.note_tweet).toEqual({ text: 'Look &amp; see &lt;the whole thing&gt;' });
    expect(quote!.public_metrics).toEqual({ retweet_count: 0, reply_count: 0, like_count: 7, quote_count: 0, bookmark_count: 0, impression_count: 0 });
    expect(quote!.attachments).toEqual({ media_keys: ['3_1'] });
    expect(retweet!.conversation_id).toBe('7000010');
    expect(reply).toMatchObject({ conversation_id: '7000099', in_reply_to_user_id: OTHER.id });
    expect(retweet!.note_tweet).toBeUndefined();

    const inc = new TwitterV2IncludesHelper(tl.data);
    expect(inc.retweet(retweet!)).toMatchObject({ id: '7000001', text: 'Original &lt;b&gt; &amp; more', author_id: OTHER.id, attachments: { media_keys: ['3_1'] } });
    expect(inc.quote(quote!)?.id).toBe('7000002');
    expect(inc.repliedTo(reply!)).toBeUndefined();
    expect(tl.includes.users.map((u) => u.id)).toEqual([userId, OTHER.id]); // de-duplicated
    expect(tl.includes.media).toEqual([photo, video]); // photo is on two posts, listed once
    expect(tl.errors).toEqual([expect.objectContaining({ resource_id: '7000099', parameter: 'referenced_tweets.id', title: 'Not Found Error' })]);

    // Without media.fields only media_key and type come back.
    const plain = await owner.v2.tweets(['7000001'], { expansions: ['attachments.media_keys'] });
    expect(plain.includes?.media).toEqual([{ media_key: '3_1', type: 'photo' }]);

    const file = await fetch(videoUrl);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect(file.headers.get('content-length')).toBe('9');
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe('MP4DATA!!');
  });

  test('injected faults come first, in order; revoked tokens get 401', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    fake.injectFaults(/^\/2\/users\/me$/, [
      { status: 503, body: { title: 'Service Unavailable' } },
      { status: 429, headers: { 'x-rate-limit-limit': '75', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset }, body: { title: 'Too Many Requests' } },
      { status: 401, body: { title: 'Unauthorized' } },
    ]);
    expect((await apiError(() => owner.v2.me())).code).toBe(503);
    const limited = await apiError(() => owner.v2.me());
    expect(limited.code).toBe(429);
    expect(limited.rateLimit).toEqual({ limit: 75, remaining: 0, reset: Number(reset) });
    expect((await apiError(() => owner.v2.me())).code).toBe(401);
    expect((await owner.v2.me()).data.id).toBe(OWNER.id);

    const doomed = { accessToken: '6006-doomed', accessSecret: 'doomed-secret' };
    fake.addUser({ id: '6006', name: 'Doomed', username: 'doomed' }, doomed);
    await client(fake, doomed).v2.me();
    fake.revoke(doomed.accessToken);
    expect((await apiError(() => client(fake, doomed).v2.me())).code).toBe(401);
  });
});

describe('fake X: what a faithful record needs, only when asked for', () => {
  let fake: FakeX;
  let owner: TwitterApi;
  const AUTHOR = '7007';
  const at = (m: number) => new Date(BASE_MS + m * 60_000).toISOString();
  const FIELDS = {
    'tweet.fields': 'created_at,author_id,referenced_tweets,attachments,entities,note_tweet,geo,withheld',
    expansions: 'author_id,referenced_tweets.id,referenced_tweets.id.author_id,attachments.media_keys,attachments.poll_ids,geo.place_id,edit_history_tweet_ids,entities.mentions.username',
    'poll.fields': 'options,end_datetime,voting_status',
    'place.fields': 'full_name,country,country_code',
  };
  type Entity = { start: number; end: number; url?: string; username?: string };
  type XObject = Record<string, unknown> & { id: string; text: string; entities?: { urls: Entity[]; mentions: Entity[] } };
  type Page = { data?: XObject[]; includes?: Record<string, XObject[]>; errors?: Record<string, unknown>[] };
  const timeline = (query: Record<string, string>) => owner.v2.get<Page>(`users/${AUTHOR}/tweets`, { max_results: '100', ...query });

  beforeAll(async () => {
    fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret });
    fake.addUser(OWNER, OWNER_TOKENS);
    fake.addUser(OTHER);
    fake.addUser({ id: AUTHOR, name: 'Northwind', username: 'northwind' });
    owner = client(fake, OWNER_TOKENS);
    const chain = ['8000001', '8000002', '8000003'];
    fake.addPosts([
      // An emoji (two UTF-16 units, one code point) and an escaped & before the links and the mention.
      { id: '8000010', author_id: AUTHOR, created_at: at(10), text: '🎉 Fish & chips @fabrikam https://t.co/AbC https://t.co/PiC',
        links: [{ url: 'https://t.co/AbC', expanded_url: 'https://bit.ly/x', unwound_url: 'https://example.org/fish' },
          { url: 'https://t.co/PiC', expanded_url: 'https://twitter.com/northwind/status/8000010/photo/1', media_key: '3_10' }],
        media: [{ media_key: '3_10', type: 'photo', url: 'https://pbs.twimg.com/media/fish.jpg' }] },
      { id: '8000011', author_id: AUTHOR, created_at: at(11), text: 'Which?',
        poll: { id: '90011', options: [{ position: 1, label: 'A', votes: 3 }, { position: 2, label: 'B', votes: 1 }], voting_status: 'closed', end_datetime: at(20), duration_minutes: 5 },
        place: { id: 'p1', full_name: 'Manhattan, NY', country: 'United States', country_code: 'US', place_type: 'city' },
        withheld: { country_codes: ['DE', 'FR'] } },
      ...chain.map((id, i) => ({ id, author_id: AUTHOR, created_at: at(1 + i * 4), text: `version ${i + 1}`, edit_history_tweet_ids: chain })),
      { id: '8000012', author_id: AUTHOR, created_at: at(12), text: 'a reply', referenced_tweets: [{ type: 'replied_to' as const, id: '8000099' }] },
      { id: '8000013', author_id: OTHER.id, created_at: at(0), text: 'Vote!', poll: { id: '90013', options: [{ position: 1, label: 'Yes', votes: 2 }] } },
      { id: '8000014', author_id: AUTHOR, created_at: at(14), text: 'RT @fabrikam: Vote!', referenced_tweets: [{ type: 'retweeted' as const, id: '8000013' }] },
      { id: '8000015', author_id: OTHER.id, created_at: at(0), text: 'soon gone' },
      { id: '8000016', author_id: AUTHOR, created_at: at(16), text: 'quoting', referenced_tweets: [{ type: 'quoted' as const, id: '8000015' }] },
    ]);
    fake.deletePost('8000015');
  });
  afterAll(() => fake.close());

  test("entities: links and mentions at X's offsets, in code points of the escaped text; mentioned users expanded", async () => {
    const page = await timeline({ ...FIELDS, start_time: at(10), end_time: at(10) });
    const post = page.data![0]!;
    expect(post.text).toBe('🎉 Fish &amp; chips @fabrikam https://t.co/AbC https://t.co/PiC');
    expect(post.entities).toEqual({
      urls: [
        { start: 29, end: 45, url: 'https://t.co/AbC', expanded_url: 'https://bit.ly/x', display_url: 'bit.ly/x', unwound_url: 'https://example.org/fish' },
        { start: 46, end: 62, url: 'https://t.co/PiC', expanded_url: 'https://twitter.com/northwind/status/8000010/photo/1', display_url: 'twitter.com/northwind/sta…', media_key: '3_10' },
      ],
      mentions: [{ start: 19, end: 28, username: 'fabrikam', id: OTHER.id }],
    });
    const cps = Array.from(post.text);
    for (const e of [...post.entities!.urls, ...post.entities!.mentions]) expect(cps.slice(e.start, e.end).join('')).toBe(e.url ?? `@${e.username}`);
    expect(page.includes!.users!.map((u) => u.id)).toEqual([AUTHOR, OTHER.id]);
  });

  test('poll, place and withholding, each with only the fields asked for', async () => {
    const [post] = (await timeline({ ...FIELDS, start_time: at(11), end_time: at(11) })).data!;
    expect(post).toMatchObject({ attachments: { poll_ids: ['90011'] }, geo: { place_id: 'p1' }, withheld: { copyright: false, country_codes: ['DE', 'FR'] } });
    const full = await timeline({ ...FIELDS, start_time: at(11), end_time: at(11) });
    expect(full.includes!.polls).toEqual([{ id: '90011', options: [{ position: 1, label: 'A', votes: 3 }, { position: 2, label: 'B', votes: 1 }], voting_status: 'closed', end_datetime: at(20) }]);
    expect(full.includes!.places).toEqual([{ id: 'p1', full_name: 'Manhattan, NY', country: 'United States', country_code: 'US' }]);
    // Without the fields and expansions: the defaults only, as X serves them.
    const bare = await timeline({ 'tweet.fields': 'created_at', expansions: 'attachments.poll_ids,geo.place_id', start_time: at(11), end_time: at(11) });
    expect(bare.data![0]).toEqual({ id: '8000011', text: 'Which?', created_at: at(11), edit_history_tweet_ids: ['8000011'] });
    expect(bare.includes).toEqual({ polls: [{ id: '90011', options: [{ position: 1, label: 'A', votes: 3 }, { position: 2, label: 'B', votes: 1 }] }], places: [{ id: 'p1', full_name: 'Manhattan, NY' }] });
  });

  test("a retweet carries its original's poll, as X gives it", async () => {
    const page = await timeline({ ...FIELDS, start_time: at(14), end_time: at(14) });
    expect(page.data![0]!.attachments).toEqual({ poll_ids: ['90013'] });
    expect(page.includes!.polls!.map((p) => p.id)).toEqual(['90013']);
    expect(page.includes!.tweets!.map((t) => t.id)).toEqual(['8000013']);
  });

  test('an edit chain: the timeline lists the newest version; the expansion returns every version in includes.tweets', async () => {
    const page = await timeline({ ...FIELDS, start_time: at(0), end_time: at(11) });
    expect(page.data!.map((p) => p.id)).toEqual(['8000011', '8000010', '8000003']);
    const newest = page.data![2]!;
    expect(newest.edit_history_tweet_ids).toEqual(['8000001', '8000002', '8000003']);
    expect(page.includes!.tweets!.map((t) => [t.id, t.text, t.created_at])).toEqual([
      ['8000001', 'version 1', at(1)],
      ['8000002', 'version 2', at(5)],
      ['8000003', 'version 3', at(9)],
    ]);
    // Without the expansion, no versions; an earlier version is still served by its id.
    const plain = await timeline({ 'tweet.fields': 'created_at', start_time: at(0), end_time: at(11) });
    expect(plain.includes).toBeUndefined();
    expect((await owner.v2.tweets(['8000001'])).data.map((t) => t.text)).toEqual(['version 1']);
  });

  test("errors[] name referenced posts the fake no longer has, in X's shape", async () => {
    const page = await timeline({ ...FIELDS, start_time: at(12), end_time: at(16) });
    expect(page.data!.map((p) => p.id)).toEqual(['8000016', '8000014', '8000012']);
    expect(page.errors).toEqual([
      { value: '8000015', detail: 'Could not find tweet with referenced_tweets.id: [8000015].', title: 'Not Found Error', resource_type: 'tweet', parameter: 'referenced_tweets.id', resource_id: '8000015', type: 'https://api.twitter.com/2/problems/resource-not-found' },
      expect.objectContaining({ resource_id: '8000099', parameter: 'referenced_tweets.id', title: 'Not Found Error' }),
    ]);
  });
});

test('rate limits: x-rate-limit-* headers per token per endpoint, then 429', async () => {
  const fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret, rateLimit: 2 });
  try {
    fake.addUser(OWNER, OWNER_TOKENS);
    const c = client(fake, OWNER_TOKENS);
    const first = await c.v2.get('users/me', undefined, { fullResponse: true });
    const second = await c.v2.get('users/me', undefined, { fullResponse: true });
    expect([first.rateLimit?.remaining, second.rateLimit?.remaining]).toEqual([1, 0]);
    const resetAt = first.rateLimit!.reset;
    expect(resetAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 899);
    expect(resetAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 900);
    const e = await apiError(() => c.v2.me());
    expect(e.code).toBe(429);
    expect(e.rateLimit).toEqual({ limit: 2, remaining: 0, reset: resetAt });
    expect(e.data).toEqual({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
    // Another endpoint has its own window.
    expect((await c.v2.get('users/1001/tweets', undefined, { fullResponse: true })).rateLimit?.remaining).toBe(1);
  } finally {
    await fake.close();
  }
});

test('200,000 generated posts: added quickly, served lazily', async () => {
  const fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret, timelineCap: 250_000 });
  try {
    fake.addUser(OWNER, OWNER_TOKENS);
    let makeCalls = 0;
    const started = Date.now();
    // One post a second, ids rising with time like snowflakes.
    fake.addGeneratedPosts(OWNER.id, 200_000, (i) => {
      makeCalls++;
      return { id: String(1_000_000_000 + i), text: `bulk ${i} & co`, created_at: new Date(BASE_MS + i * 1000).toISOString() };
    });
    makeCalls = 0;
    const c = client(fake, OWNER_TOKENS);
    // A one-hour window in the middle of the range: 3,601 posts (both ends inclusive).
    const from = new Date(BASE_MS + 100_000 * 1000).toISOString();
    const to = new Date(BASE_MS + 103_600 * 1000).toISOString();
    const tl = await c.v2.userTimeline(OWNER.id, { max_results: 100, start_time: from, end_time: to });
    expect(tl.tweets[0]).toEqual({ id: String(1_000_000_000 + 103_600), text: 'bulk 103600 &amp; co', edit_history_tweet_ids: [String(1_000_000_000 + 103_600)] });
    await tl.fetchNext();
    expect(tl.tweets.at(-1)!.id).toBe(String(1_000_000_000 + 103_600 - 199));
    expect(makeCalls).toBeLessThanOrEqual(2 * 101); // only the served pages were built
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    await fake.close();
  }
});

describe('OAuth 1.0a signing rules', () => {
  test('signature base string and HMAC-SHA1 match the worked example in X\'s documentation', () => {
    // https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
    const base = signatureBaseString('POST', 'https://api.twitter.com/1.1/statuses/update.json', [
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'], ['include_entities', 'true'],
      ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'], ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
      ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', '1318622958'],
      ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'], ['oauth_version', '1.0'],
    ]);
    expect(base.startsWith('POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key')).toBe(true);
    expect(hmacSha1Signature(base, 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE'))
      .toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  test('a hand-signed RFC 5849 request (oauth_callback in the header) gets a request token', async () => {
    const fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret });
    try {
      const url = `${fake.url}/oauth/request_token`;
      const oauth: Record<string, string> = {
        oauth_callback: CALLBACK, oauth_consumer_key: APP.appKey, oauth_nonce: 'n' + Date.now(),
        oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: String(Math.floor(Date.now() / 1000)), oauth_version: '1.0',
      };
      oauth.oauth_signature = hmacSha1Signature(signatureBaseString('POST', url, Object.entries(oauth)), APP.appSecret, '');
      const header = 'OAuth ' + Object.entries(oauth).map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`).join(', ');
      const res = await fetch(url, { method: 'POST', headers: { authorization: header } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const body = new URLSearchParams(await res.text());
      expect(body.get('oauth_callback_confirmed')).toBe('true');
      expect(body.get('oauth_token_secret')).toBeTruthy();
      // Unsigned: refused with a plain-text 401.
      const unsigned = await fetch(url, { method: 'POST' });
      expect(unsigned.status).toBe(401);
      expect(unsigned.headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      await fake.close();
    }
  });
});

describe('network faults: the fake fails the way networks fail', () => {
  let fake: FakeX;
  beforeEach(async () => {
    fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret });
    fake.addUser(OWNER, OWNER_TOKENS);
  });
  afterEach(() => fake.close());

  /** What a plain GET saw: the answer's status and declared length, the bytes that came, and how it ended. */
  function rawGet(url: string, timeoutMs = 2000): Promise<{ status?: number; declared?: number; received: number; ended: string }> {
    return new Promise((resolve) => {
      const seen: { status?: number; declared?: number; received: number } = { received: 0 };
      const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
        seen.status = res.statusCode;
        seen.declared = Number(res.headers['content-length']);
        res.on('data', (c: Buffer) => (seen.received += c.length));
        res.on('end', () => resolve({ ...seen, ended: 'complete' }));
        res.on('error', (e) => resolve({ ...seen, ended: `response error: ${e.message}` }));
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (e) => resolve({ ...seen, ended: `request error: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
    });
  }
  const body = Buffer.from('0123456789'.repeat(100));

  test('drop closes the connection before any answer; reset sends a TCP reset; the next request is answered', async () => {
    const url = fake.addMediaFile('/media/a.jpg', body, 'image/jpeg');
    fake.injectFaults(/^\/media\/a\.jpg$/, [{ kind: 'drop' }, { kind: 'reset' }]);
    expect(await rawGet(url)).toEqual({ received: 0, ended: 'request error: ECONNRESET' });
    expect(await rawGet(url)).toEqual({ received: 0, ended: 'request error: ECONNRESET' });
    expect(await rawGet(url)).toEqual({ status: 200, declared: 1000, received: 1000, ended: 'complete' });
    expect(fake.requests.filter((r) => r.path === '/media/a.jpg')).toHaveLength(3);
  });

  test('truncate sends the full Content-Length and half the body, then closes (or stalls)', async () => {
    const url = fake.addMediaFile('/media/b.jpg', body, 'image/jpeg');
    fake.injectFaults(/^\/media\/b\.jpg$/, [{ kind: 'truncate' }, { kind: 'truncate', then: 'stall' }]);
    expect(await rawGet(url)).toEqual({ status: 200, declared: 1000, received: 500, ended: 'response error: aborted' });
    const started = Date.now();
    expect(await rawGet(url, 300)).toEqual({ status: 200, declared: 1000, received: 500, ended: 'request error: client timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await rawGet(url)).toMatchObject({ received: 1000, ended: 'complete' });
  });

  test('stall sends nothing until the client gives up; with ms, the real answer comes late', async () => {
    const url = fake.addMediaFile('/media/c.jpg', body, 'image/jpeg');
    fake.injectFaults(/^\/media\/c\.jpg$/, [{ kind: 'stall' }, { kind: 'stall', ms: 200 }]);
    expect(await rawGet(url, 300)).toEqual({ received: 0, ended: 'request error: client timeout' });
    const started = Date.now();
    expect(await rawGet(url)).toEqual({ status: 200, declared: 1000, received: 1000, ended: 'complete' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('through twitter-api-v2: a drop is a request error, half a JSON body a partial response, a stall a timeout', async () => {
    const owner = client(fake, OWNER_TOKENS);
    fake.injectFaults(/^\/2\/users\/me$/, [{ kind: 'drop' }, { kind: 'truncate' }, { kind: 'stall' }]);
    const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error('expected a failure'), (e: unknown) => e);
    const dropped = await failure(owner.v2.me());
    expect(dropped).toBeInstanceOf(ApiRequestError);
    const truncated = await failure(owner.v2.me());
    expect(truncated).toBeInstanceOf(ApiPartialResponseError);
    const stalled = await failure(owner.v2.get('users/me', undefined, { timeout: 300 }));
    expect(stalled).toBeInstanceOf(ApiRequestError);
    expect((stalled as Error).message).toBe('Request failed.');
    expect((await owner.v2.me()).data.id).toBe(OWNER.id);
  });

  test('on the OAuth endpoints: half a form-encoded answer still parses, with the token secret cut short', async () => {
    fake.injectFaults(/^\/oauth\/request_token$/, [{ kind: 'truncate' }]);
    const link = await client(fake).generateAuthLink(CALLBACK, { linkMode: 'authenticate' });
    // This is why the connector checks the answer itself: the library takes the half as a whole.
    expect(link.oauth_token).toHaveLength(27);
    expect(link.oauth_token_secret.length).toBeLessThan(32);
    expect(link.oauth_callback_confirmed).toBeUndefined();
  });
});
