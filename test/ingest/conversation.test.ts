import request from 'supertest';
import type { Item } from '../../src/ingest/item';
import type { FakeXDm } from '../fakes/xConversation';
import type { FakeXPost } from '../fakes/xServer';
import { basicAuth } from '../helpers/connector';
import { ACCOUNT, ACCOUNT_TOKENS } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

/**
 * Issue 16: replies and mentions by others and direct messages, end to end through the fake X,
 * the worker, Azurite and the fake Event API.
 */
const OTHER = { id: '2200000000000000002', name: 'Fabrikam', username: 'fabrikam' };
const THIRD = { id: '2300000000000000003', name: 'Northwind', username: 'northwind' };
const me = ACCOUNT.id;
// DMs reach back 30 days from now: the window is yesterday (UTC).
const DAY = new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
const at = (hh: number, mm = 0) => `${DAY}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`;
const WINDOW = { start: `${DAY}T00:00:00Z`, end: `${DAY}T23:59:59Z` };
const CONVERSATION = `${me}-${OTHER.id}`;

const POSTS: FakeXPost[] = [
  { id: '1600000000000000001', author_id: me, text: 'Our opening hours change on Monday', created_at: at(1) },
  // A self-reply: X lists it on the timeline and among the mentions.
  { id: '1600000000000000002', author_id: me, text: 'More on the opening hours', created_at: at(2), conversation_id: '1600000000000000001', in_reply_to_user_id: me, referenced_tweets: [{ type: 'replied_to', id: '1600000000000000001' }] },
  { id: '1600000000000000003', author_id: OTHER.id, text: '@contoso Will the Saturday hours change too? https://t.co/q1', created_at: at(3), conversation_id: '1600000000000000001', in_reply_to_user_id: me, referenced_tweets: [{ type: 'replied_to', id: '1600000000000000001' }], links: [{ url: 'https://t.co/q1', expanded_url: 'https://fabrikam.example/question' }] },
  { id: '1600000000000000004', author_id: THIRD.id, text: 'Good to see @contoso and @fabrikam talking', created_at: at(4) },
  // Not a mention: never asked for.
  { id: '1600000000000000005', author_id: THIRD.id, text: 'Unrelated', created_at: at(5) },
];

const DMS: FakeXDm[] = [
  { id: '1700000000000000001', text: 'Hello Contoso, a private question: https://t.co/d1', created_at: at(6), dm_conversation_id: CONVERSATION, sender_id: OTHER.id, participant_ids: [me, OTHER.id], links: [{ url: 'https://t.co/d1', expanded_url: 'https://fabrikam.example/private' }] },
  { id: '1700000000000000002', text: 'Thanks, we answer by Friday', created_at: at(7), dm_conversation_id: CONVERSATION, sender_id: me, participant_ids: [me, OTHER.id] },
];

async function setOptions(p: Pipeline, options: { ArchiveMentionsValue?: boolean; ArchiveDirectMessagesValue?: boolean }): Promise<void> {
  await request(p.c.url).post('/api/Configuration').set('Authorization', basicAuth()).send(options).expect(200, 'true');
}

async function seeded(env: Record<string, string> = {}): Promise<Pipeline> {
  const p = await startPipeline({ env });
  p.x.addUser(OTHER);
  p.x.addUser(THIRD);
  p.x.addPosts(POSTS);
  // A photo in a DM is served by X only to a signed request (ton.twimg.com): this one is not served to the connector at all.
  const [first, ...rest] = DMS;
  p.x.addDms([
    { ...first!, media: [{ media_key: '3_1700000000000000001', type: 'photo', url: `${p.x.url}/dm-media/receipt.jpg`, alt_text: 'a receipt' }] },
    ...rest,
    // Outside the window, on either side: read (X has no time filter) but not archived.
    { id: '1700000000000000003', text: 'Older message', created_at: new Date(Date.parse(WINDOW.start) - 3600_000).toISOString(), dm_conversation_id: CONVERSATION, sender_id: OTHER.id, participant_ids: [me, OTHER.id] },
    { id: '1700000000000000004', text: 'Newer message', created_at: new Date(Date.parse(WINDOW.end) + 60_000).toISOString(), dm_conversation_id: CONVERSATION, sender_id: OTHER.id, participant_ids: [me, OTHER.id] },
  ]);
  return p;
}

async function items(p: Pipeline, taskId: string): Promise<Item[]> {
  return (await p.blobs()).filter((b) => b.name.startsWith(`job-1/${taskId}/`)).map((b) => JSON.parse(b.body) as Item);
}

const asked = (p: Pipeline, path: RegExp) => p.x.requests.filter((r) => path.test(r.path));
const MENTIONS = new RegExp(`^/2/users/${me}/mentions$`);
const TIMELINE = new RegExp(`^/2/users/${me}/tweets$`);
const DM_EVENTS = /^\/2\/dm_events$/;

describe('with replies and mentions by others and direct messages turned on', () => {
  let p: Pipeline;
  let got: Item[];
  beforeAll(async () => {
    p = await seeded();
    await setOptions(p, { ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true });
    await p.requestTask('t-all', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    got = await items(p, 't-all');
  });
  afterAll(async () => {
    await p.close();
  });

  test('then the window yields one Item each: the account posts as Tweet (the self-reply once), a reply as Reply, a mention as Mention, each DM as DirectMessage', () => {
    const byId = Object.fromEntries(got.map((i) => [i.Id, i]));
    expect(got.map((i) => `${i.Id} ${i.ItemType}`).sort()).toEqual([
      '1600000000000000001 Tweet',
      '1600000000000000002 Tweet',
      '1600000000000000003 Reply',
      '1600000000000000004 Mention',
      '1700000000000000001 DirectMessage',
      '1700000000000000002 DirectMessage',
    ]);
    expect(p.events.reports[0]!.body).toMatchObject({ taskId: 't-all', status: 0 });
    expect((p.events.reports[0]!.body as { itemMetadata: unknown[] }).itemMetadata).toHaveLength(6);

    const reply = byId['1600000000000000003']!;
    // In the thread of the post it answers, from the other account, links expanded as for posts.
    expect(reply).toMatchObject({ ThreadId: '1600000000000000001', ParentId: '1600000000000000001', Sender: { Id: OTHER.id, Name: 'Fabrikam' } });
    expect(reply.Content).toBe('@contoso Will the Saturday hours change too? https://fabrikam.example/question');
    expect(reply.Recipients.map((r) => r.Id)).toEqual([me]);
    const mention = byId['1600000000000000004']!;
    expect(mention).toMatchObject({ ThreadId: '1600000000000000004', ParentId: null, Sender: { Id: THIRD.id, Name: 'Northwind' } });

    const dm = byId['1700000000000000001']!;
    expect(dm).toMatchObject({
      ThreadId: CONVERSATION,
      ParentId: null,
      Sender: { Id: OTHER.id, Name: 'Fabrikam' },
      Recipients: [{ Id: me, Name: 'Contoso News' }],
      Content: 'Hello Contoso, a private question: https://fabrikam.example/private\n\nAlt text of receipt.jpg: a receipt',
      SentTimeUtc: at(6),
      // Kept as a Uri without Content, and counted as skipped.
      ContentAttachments: [{ Content: null, Uri: `${p.x.url}/dm-media/receipt.jpg`, AttachmentType: 'media', AttachmentFileName: 'receipt.jpg' }],
    });
    expect(byId['1700000000000000002']).toMatchObject({ Sender: { Id: me }, Recipients: [{ Id: OTHER.id, Name: 'Fabrikam' }] });
  });

  test('then the DM attachment X would not serve is counted as skipped', async () => {
    expect(await p.c.store.getTaskRun('job-1', 't-all')).toMatchObject({ status: 'success', items: 6, attachmentsSkipped: 1 });
  });

  test('then requests stay at the floor: one timeline, one mentions and one DM request for this window', () => {
    expect(asked(p, TIMELINE)).toHaveLength(1);
    expect(asked(p, MENTIONS)).toHaveLength(1);
    expect(asked(p, MENTIONS)[0]!.query).toMatchObject({ start_time: new Date(WINDOW.start).toISOString(), end_time: new Date(WINDOW.end).toISOString(), max_results: '100' });
    expect(asked(p, DM_EVENTS)).toHaveLength(1);
    expect(asked(p, DM_EVENTS)[0]!.query).toMatchObject({ event_types: 'MessageCreate', max_results: '100' });
  });

  test("then the cost counters match the fake's own count of what it served, per source", async () => {
    const usage = await p.c.store.listXUsage(DAY);
    const bySource = Object.fromEntries(usage.map((u) => [u.source, { requests: u.requests, posts: u.posts, users: u.users, dmEvents: u.dmEvents }]));
    expect(bySource).toEqual({
      timeline: p.x.served['users/tweets'],
      mentions: p.x.served['users/mentions'],
      directMessages: p.x.served['dm_events'],
    });
    expect(p.x.served['dm_events']).toMatchObject({ requests: 1, dmEvents: 4 });
    // Three mentions and the post the reply answers, expanded.
    expect(p.x.served['users/mentions']).toMatchObject({ requests: 1, posts: 4 });
    const status = await request(p.c.url).get('/api/status').set('Authorization', basicAuth()).expect(200);
    const cost = status.body.XCost as { Sources: { Source: string; Posts: number; DmEvents: number; EstimateUsd: number }[]; EstimateUsd: number };
    expect(cost.Sources.map((s) => s.Source).sort()).toEqual(['directMessages', 'mentions', 'timeline']);
    // 4 DM events at $0.010 and the users they expand, at least.
    expect(cost.EstimateUsd).toBeGreaterThanOrEqual(0.04);
    expect(status.body.XCost.Archiving).toEqual({ Posts: true, Mentions: true, DirectMessages: true, PausedByBudget: false });
  });
});

describe('when more direct messages came after the window than a page holds', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded();
    await setOptions(p, { ArchiveDirectMessagesValue: true });
    const dm = (id: number, ms: number): FakeXDm => ({ id: String(1710000000000000000 + id), text: `message ${id}`, created_at: new Date(ms).toISOString(), dm_conversation_id: CONVERSATION, sender_id: OTHER.id, participant_ids: [me, OTHER.id] });
    const after = Date.parse(WINDOW.end) + 120_000;
    const before = Date.parse(WINDOW.start) - 2 * 24 * 3600_000;
    // 250 newer than the window (and the seeded one), 150 older: pages of 100, newest first.
    p.x.addDms([...Array.from({ length: 250 }, (_, i) => dm(i, after + i * 1000)), ...Array.from({ length: 150 }, (_, i) => dm(1000 + i, before - i * 1000))]);
  });
  afterAll(async () => {
    await p.close();
  });

  test('then the DMs are paged newest first by pagination_token only until a page reaches before the window', async () => {
    await p.requestTask('t-pages', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect((await items(p, 't-pages')).filter((i) => i.ItemType === 'DirectMessage').map((i) => i.Id).sort()).toEqual(['1700000000000000001', '1700000000000000002']);
    const pages = asked(p, DM_EVENTS);
    // 251 newer, the 2 of the window and 47 older fill three pages; the two pages further back are not asked for.
    expect(pages).toHaveLength(3);
    expect(pages[0]!.query['pagination_token']).toBeUndefined();
    expect(pages[1]!.query['pagination_token']).toEqual(expect.any(String));
    expect(pages.every((r) => r.query['start_time'] === undefined)).toBe(true);
  });
});

describe('against DAILY_ITEM_CAP', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // Exactly the day's items: two posts (the self-reply once), a reply, a mention, two DMs.
    p = await seeded({ DAILY_ITEM_CAP: '6' });
    await setOptions(p, { ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test('then every item of every source counts once on its UTC day: six fit a cap of six, and a seventh that day is refused', async () => {
    await p.requestTask('t-cap', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect(await items(p, 't-cap')).toHaveLength(6);
    expect((await p.c.store.dayTotals(DAY)).find((t) => t.day === DAY)).toMatchObject({ items: 6, refused: 0 });
    p.x.addDms([{ id: '1700000000000000009', text: 'One more', created_at: at(9), dm_conversation_id: CONVERSATION, sender_id: OTHER.id, participant_ids: [me, OTHER.id] }]);
    await p.requestTask('t-cap2', `${DAY}T08:30:00Z`, `${DAY}T09:30:00Z`);
    expect(await p.worker.drain()).toBe(1);
    expect(await items(p, 't-cap2')).toEqual([]);
    expect((await p.c.store.getTaskRun('job-1', 't-cap2'))?.daysOverCap).toEqual([DAY]);
  });
});

describe('with the optional sources off (the default)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded();
  });
  afterAll(async () => {
    await p.close();
  });

  test('then neither mentions nor direct messages are asked for, and the account posts are archived', async () => {
    const cfg = await request(p.c.url).get('/api/Configuration').set('Authorization', basicAuth()).expect(200);
    expect(cfg.body).toMatchObject({ ArchiveMentionsValue: false, ArchiveDirectMessagesValue: false });
    await p.requestTask('t-off', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect((await items(p, 't-off')).map((i) => i.Id).sort()).toEqual(['1600000000000000001', '1600000000000000002']);
    expect(asked(p, MENTIONS)).toHaveLength(0);
    expect(asked(p, DM_EVENTS)).toHaveLength(0);
  });
});

describe('without the X app permission for direct messages', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded();
    p.x.setDmPermission(ACCOUNT_TOKENS.accessToken, false);
    await setOptions(p, { ArchiveDirectMessagesValue: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test('then X answers 403, the account posts are still archived and reported Success, and the history and status page say which permission to add and to sign in again', async () => {
    await p.requestTask('t-403', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect(asked(p, DM_EVENTS)).toHaveLength(1);
    expect((await items(p, 't-403')).map((i) => i.ItemType)).toEqual(['Tweet', 'Tweet']);
    expect(p.events.reports[0]!.body).toMatchObject({ taskId: 't-403', status: 0 });
    const run = await p.c.store.getTaskRun('job-1', 't-403');
    expect(run).toMatchObject({ status: 'success', items: 2, missingXPermission: 'Read and write and Direct message' });
    expect(run!.notes!.join(' ')).toMatch(/HTTP 403.*"Read and write and Direct message", then sign the job in again/);
    // Not the sign-in failure a 403 on the timeline is.
    expect((await p.c.store.getJob('job-1'))?.needsRelogin).toBe(false);
    const status = await request(p.c.url).get('/api/status').set('Authorization', basicAuth()).expect(200);
    expect(status.body.XCost.Notices).toEqual(
      expect.arrayContaining([expect.stringMatching(/job-1.*"Read and write and Direct message".*sign the job in again/)]),
    );
  });
});

describe('when a window reaches beyond what X keeps', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded();
    await setOptions(p, { ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test('then 850 mentions are archived as far as X reaches (800), 100 a request, and the history says so', async () => {
    const base = Date.parse(`${DAY}T08:00:00.000Z`);
    p.x.addGeneratedPosts(THIRD.id, 850, (i) => ({ id: String(1800000000000000000n + BigInt(i)), text: `@contoso number ${i}`, created_at: new Date(base + i * 1000).toISOString() }));
    await p.requestTask('t-800', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    const types = (await items(p, 't-800')).map((i) => i.ItemType);
    // The newest 800 mentions are generated ones; the reply and mention of 03:00 and 04:00 are beyond X's reach.
    expect(types.filter((t) => t === 'Mention' || t === 'Reply')).toHaveLength(800);
    expect(asked(p, MENTIONS)).toHaveLength(8);
    const run = await p.c.store.getTaskRun('job-1', 't-800');
    expect(run?.status).toBe('success');
    expect(run?.notes?.join(' ')).toMatch(/X serves only the newest 800 mentions/);
  });

  test('then a window older than 30 days asks X for no DMs, is a Success, and the history says DMs cannot be served', async () => {
    await p.requestTask('t-old', '2026-01-05T00:00:00Z', '2026-01-05T23:59:59Z');
    const before = asked(p, DM_EVENTS).length;
    expect(await p.worker.drain()).toBe(1);
    expect(asked(p, DM_EVENTS)).toHaveLength(before);
    const run = await p.c.store.getTaskRun('job-1', 't-old');
    expect(run?.status).toBe('success');
    expect(run?.notes?.join(' ')).toMatch(/X keeps only the last 30 days; messages of this window before .* cannot be served \(not a failure\)/);
  });
});

describe('when the X credits run out', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded();
    await setOptions(p, { ArchiveMentionsValue: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test('then the task is a TemporaryFailure "X credits exhausted", shown on the status page until a later task succeeds', async () => {
    // The timeline's page (2 posts, the one the self-reply answers, 1 user) uses the last credits; mentions then meet the 402.
    p.x.setCredits(4);
    await p.requestTask('t-402', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect(p.events.reports[0]!.body).toMatchObject({ taskId: 't-402', status: 1, itemMetadata: [] });
    expect(await p.blobs()).toEqual([]);
    const run = await p.c.store.getTaskRun('job-1', 't-402');
    expect(run?.error).toMatch(/^Reading mentions of the account: X credits exhausted \(HTTP 402\)/);
    const shown = await request(p.c.url).get('/api/status').set('Authorization', basicAuth()).expect(200);
    expect(shown.body.XCost.Notices).toEqual(expect.arrayContaining([expect.stringMatching(/job-1: X credits exhausted/)]));
    // What was read before the 402 is counted all the same.
    expect((await p.c.store.listXUsage(DAY)).find((u) => u.source === 'timeline')).toMatchObject({ requests: 1, posts: 3, users: 1 });

    p.x.setCredits(undefined);
    await p.requestTask('t-after', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    const later = await request(p.c.url).get('/api/status').set('Authorization', basicAuth()).expect(200);
    expect(later.body.XCost.Notices.join(' ')).not.toMatch(/credits exhausted/);
  });
});

describe('with X_MONTHLY_BUDGET_USD', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await seeded({ X_MONTHLY_BUDGET_USD: '0.03' });
    await setOptions(p, { ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test('then once the month estimate reaches it, mentions and DMs pause, the account posts go on, and the history and status page say so', async () => {
    await p.requestTask('t-b1', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    const dmsAsked = asked(p, DM_EVENTS).length;
    const mentionsAsked = asked(p, MENTIONS).length;
    expect(dmsAsked).toBe(1);
    await p.requestTask('t-b2', WINDOW.start, WINDOW.end);
    expect(await p.worker.drain()).toBe(1);
    expect(asked(p, DM_EVENTS)).toHaveLength(dmsAsked);
    expect(asked(p, MENTIONS)).toHaveLength(mentionsAsked);
    expect((await items(p, 't-b2')).map((i) => i.ItemType)).toEqual(['Tweet', 'Tweet']);
    const run = await p.c.store.getTaskRun('job-1', 't-b2');
    expect(run?.status).toBe('success');
    expect(run?.notes?.join(' ')).toMatch(/Mentions and direct messages paused for the rest of the month: .* has reached X_MONTHLY_BUDGET_USD \(US\$0\.03\)/);
    const status = await request(p.c.url).get('/api/status').set('Authorization', basicAuth()).expect(200);
    expect(status.body.XCost.Archiving).toMatchObject({ Mentions: true, DirectMessages: true, PausedByBudget: true });
    expect(status.body.XCost.BudgetUsd).toBe(0.03);
  });
});
