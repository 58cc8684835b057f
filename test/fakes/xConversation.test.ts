import * as http from 'node:http';
import { ApiResponseError, TwitterApi, type TwitterApiTokens } from 'twitter-api-v2';
import { redirectPlugin } from '../../src/x/xClient';
import { DM_REACH_MS, MENTIONS_REACH } from './xConversation';
import { startFakeX, type FakeX } from './xServer';

/**
 * The fake's mentions and DM endpoints driven by twitter-api-v2's own paginators
 * (userMentionTimeline, listDmEvents): the library parses, pages and types what the fake answers.
 */
const APP = { appKey: 'conv-consumer-key', appSecret: 'conv-consumer-secret' };
const OWNER = { id: '1001', name: 'Contoso News', username: 'contoso' };
const OWNER_TOKENS = { accessToken: '1001-convAccessToken', accessSecret: 'convAccessSecret' };
const OTHER = { id: '2002', name: 'Fabrikam', username: 'fabrikam' };
const agent = new http.Agent();

let fake: FakeX;
let owner: TwitterApi;
beforeAll(async () => {
  fake = await startFakeX({ consumerKey: APP.appKey, consumerSecret: APP.appSecret });
  fake.addUser(OWNER, OWNER_TOKENS);
  fake.addUser(OTHER);
  owner = new TwitterApi({ ...APP, ...OWNER_TOKENS } as TwitterApiTokens, { httpAgent: agent, plugins: [redirectPlugin(fake.url)] });
  const base = Date.parse('2025-06-01T00:00:00.000Z');
  // 850 mentions, one a minute, newest last; and a post that mentions nobody.
  fake.addGeneratedPosts(OTHER.id, 850, (i) => ({ id: String(5000000 + i), text: `@contoso hello ${i}`, created_at: new Date(base + i * 60_000).toISOString() }));
  fake.addPosts([{ id: '4000000', author_id: OTHER.id, text: 'nobody named', created_at: new Date(base + 900 * 60_000).toISOString() }]);
  const now = Date.now();
  fake.addDms(
    Array.from({ length: 120 }, (_, i) => ({
      id: String(7000000 + i),
      text: `dm ${i} & more`,
      created_at: new Date(now - (i + 1) * 3600_000).toISOString(),
      dm_conversation_id: '1001-2002',
      sender_id: i % 2 ? OWNER.id : OTHER.id,
      participant_ids: [OWNER.id, OTHER.id],
    })).concat([{ id: '6999999', text: 'too old', created_at: new Date(now - DM_REACH_MS - 3600_000).toISOString(), dm_conversation_id: '1001-2002', sender_id: OTHER.id, participant_ids: [OWNER.id, OTHER.id] }]),
  );
});
afterAll(async () => {
  await fake.close();
  agent.destroy();
});

test('mentions: only the newest 800 are reachable, a window filters them, pages of 5-100 follow pagination_token, with rate-limit headers', async () => {
  const all = await owner.v2.userMentionTimeline(OWNER.id, { max_results: 100, 'tweet.fields': ['created_at', 'author_id'] });
  await all.fetchLast();
  expect(all.done).toBe(true);
  expect(all.tweets).toHaveLength(MENTIONS_REACH);
  expect(all.tweets[0]!.id).toBe('5000849');
  expect(all.tweets.at(-1)!.id).toBe(String(5000849 - 799));
  expect(all.rateLimit).toMatchObject({ limit: 900, remaining: expect.any(Number) });

  const window = await owner.v2.userMentionTimeline(OWNER.id, { max_results: 5, start_time: '2025-06-01T13:00:00.000Z', end_time: '2025-06-01T13:09:59.000Z' });
  await window.fetchLast();
  expect(window.tweets.map((t) => t.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(5000789 - i)));
  // Beyond the reach: a window of the oldest mentions is empty, as X answers.
  const old = await owner.v2.userMentionTimeline(OWNER.id, { start_time: '2025-06-01T00:00:00.000Z', end_time: '2025-06-01T00:30:00.000Z' });
  expect(old.tweets).toEqual([]);
  const tooMany = await owner.v2.userMentionTimeline(OWNER.id, { max_results: 101 }).catch((e: unknown) => e);
  expect((tooMany as ApiResponseError).code).toBe(400);
});

test('dm_events: newest first, 30 days only, pagination_token, includes for the sender, 403 without the DM permission', async () => {
  const dms = await owner.v2.listDmEvents({
    'dm_event.fields': ['id', 'text', 'event_type', 'created_at', 'dm_conversation_id', 'sender_id', 'participant_ids'],
    expansions: ['sender_id'],
    'user.fields': ['username'],
    max_results: 50,
  });
  await dms.fetchLast();
  expect(dms.done).toBe(true);
  const events = dms.events;
  expect(events).toHaveLength(120);
  expect(events[0]).toEqual({ id: '7000000', event_type: 'MessageCreate', text: 'dm 0 &amp; more', created_at: expect.any(String), dm_conversation_id: '1001-2002', sender_id: OTHER.id, participant_ids: [OWNER.id, OTHER.id] });
  expect(events.map((e) => e.id)).toEqual(Array.from({ length: 120 }, (_, i) => String(7000000 + i)));
  // Each of the three pages expands its senders; the paginator keeps every page's includes.
  expect([...new Set(dms.includes.users.map((u) => u.username))].sort()).toEqual(['contoso', 'fabrikam']);

  fake.setDmPermission(OWNER_TOKENS.accessToken, false);
  const refused = await owner.v2.listDmEvents().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApiResponseError);
  expect((refused as ApiResponseError).code).toBe(403);
  fake.setDmPermission(OWNER_TOKENS.accessToken, true);
});

test('credits: each resource served takes one; once spent, every call answers 402 until more are added', async () => {
  const before = { ...fake.served['dm_events']! };
  fake.setCredits(3);
  const page = await owner.v2.listDmEvents({ max_results: 2 });
  expect(page.events).toHaveLength(2);
  expect(fake.served['dm_events']).toEqual({ ...before, requests: before.requests + 1, dmEvents: before.dmEvents + 2 });
  await owner.v2.listDmEvents({ max_results: 1 });
  const spent = await owner.v2.userMentionTimeline(OWNER.id).catch((e: unknown) => e);
  expect((spent as ApiResponseError).code).toBe(402);
  fake.setCredits(undefined);
  expect((await owner.v2.userMentionTimeline(OWNER.id)).tweets).toHaveLength(10);
});
