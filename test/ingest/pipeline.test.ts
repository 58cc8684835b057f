import { randomBytes } from 'node:crypto';
import type { Item } from '../../src/ingest/item';
import type { FakeXPost } from '../fakes/xServer';
import { ACCOUNT, ACCOUNT_TOKENS, SIX_SETTINGS } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

const OTHER = { id: '2200000000000000002', name: 'Fabrikam', username: 'fabrikam', profile_image_url: 'https://pbs.twimg.com/profile/fab.jpg' };
const DAY = '2026-11-10';
const at = (hh: number, mm = 0) => `${DAY}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`;
const WINDOW = { start: `${DAY}T00:00:00Z`, end: `${DAY}T23:59:59Z` };

let p: Pipeline;
let photo: Buffer;
let videoHi: Buffer;
let gif: Buffer;
let photoUrl: string;
let videoHiUrl: string;
let videoLoUrl: string;
let gifUrl: string;

function seed(): void {
  p.x.addUser(OTHER);
  photo = randomBytes(3000);
  videoHi = randomBytes(5000);
  gif = randomBytes(2000);
  photoUrl = p.x.addMediaFile('/media/photo1.jpg', photo, 'image/jpeg');
  videoHiUrl = p.x.addMediaFile('/media/vid_hi.mp4', videoHi, 'video/mp4');
  videoLoUrl = p.x.addMediaFile('/media/vid_lo.mp4', randomBytes(100), 'video/mp4');
  gifUrl = p.x.addMediaFile('/media/gif1.mp4', gif, 'video/mp4');
  const me = ACCOUNT.id;
  const posts: FakeXPost[] = [
    // Referenced posts by someone else (outside the account's timeline).
    { id: '1000000000000000100', author_id: OTHER.id, text: 'Original by Fabrikam with all the words of a long sentence that X truncates in a retweet', created_at: '2026-11-09T08:00:00.000Z', like_count: 7 },
    { id: '1000000000000000101', author_id: OTHER.id, text: 'Quoted thought', created_at: '2026-11-09T09:00:00.000Z' },
    { id: '1000000000000000102', author_id: OTHER.id, text: 'A question for Contoso?', created_at: '2026-11-09T10:00:00.000Z' },
    // The account's posts in the window.
    { id: '1000000000000000001', author_id: me, text: 'Plain post & <friends>', created_at: at(1), like_count: 3 },
    { id: '1000000000000000002', author_id: me, text: 'Reply to myself', created_at: at(2), conversation_id: '1000000000000000001', in_reply_to_user_id: me, referenced_tweets: [{ type: 'replied_to', id: '1000000000000000001' }] },
    { id: '1000000000000000003', author_id: me, text: 'RT @fabrikam: Original by Fabrikam with all the words of a long sent…', created_at: at(3), referenced_tweets: [{ type: 'retweeted', id: '1000000000000000100' }] },
    { id: '1000000000000000004', author_id: me, text: 'Quoting this', created_at: at(4), referenced_tweets: [{ type: 'quoted', id: '1000000000000000101' }] },
    { id: '1000000000000000005', author_id: me, text: '@fabrikam Here is our answer', created_at: at(5), conversation_id: '1000000000000000102', in_reply_to_user_id: OTHER.id, referenced_tweets: [{ type: 'replied_to', id: '1000000000000000102' }] },
    { id: '1000000000000000006', author_id: me, text: 'Long post start…', note_tweet_text: `Long post start ${'word '.repeat(120)}end`, created_at: at(6) },
    { id: '1000000000000000007', author_id: me, text: 'Photo https://t.co/x', created_at: at(7), media: [{ media_key: '3_1', type: 'photo', url: photoUrl, alt_text: 'a photo' }] },
    {
      id: '1000000000000000008', author_id: me, text: 'Video', created_at: at(8),
      media: [{ media_key: '7_1', type: 'video', preview_image_url: photoUrl, variants: [
        { content_type: 'application/x-mpegURL', url: `${p.x.url}/media/playlist.m3u8` },
        { bit_rate: 256000, content_type: 'video/mp4', url: videoLoUrl },
        { bit_rate: 2176000, content_type: 'video/mp4', url: videoHiUrl },
      ] }],
    },
    { id: '1000000000000000009', author_id: me, text: 'GIF', created_at: at(9), media: [{ media_key: '16_1', type: 'animated_gif', preview_image_url: photoUrl, variants: [{ bit_rate: 0, content_type: 'video/mp4', url: gifUrl }] }] },
    { id: '1000000000000000010', author_id: me, text: 'Edited text, second version', created_at: at(10), edit_history_tweet_ids: ['1000000000000000011', '1000000000000000010'] },
    { id: '1000000000000000012', author_id: me, text: 'שלום עולם 🎉 مرحبا 👩‍👩‍👧', created_at: at(12) },
    // Outside the window: only uploaded when named in DirtyEntities.
    { id: '1000000000000000050', author_id: me, text: 'Older post, edited since', created_at: '2026-11-01T12:00:00.000Z' },
    { id: '1000000000000000051', author_id: me, text: 'Older post, untouched', created_at: '2026-11-01T13:00:00.000Z' },
  ];
  p.x.addPosts(posts);
}

beforeAll(async () => {
  p = await startPipeline();
  seed();
});

afterAll(async () => {
  await p.close();
});

function byId(blobs: { name: string; body: string }[]): Map<string, Item> {
  return new Map(blobs.map((b) => [b.name.split('/').pop()!.replace('.json', ''), JSON.parse(b.body) as Item]));
}

describe('ingestion, end to end over loopback', () => {
  test('when the Import service asks for a day, then every post of it lands in Blob Storage as an Item and the report lists them', async () => {
    await p.requestTask('task-1', WINDOW.start, WINDOW.end, ['1000000000000000050']);
    expect(await p.worker.drain()).toBe(1);

    const blobs = await p.blobs();
    const names = blobs.map((b) => b.name).sort();
    const expectedIds = ['001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '012', '050'].map((s) => `1000000000000000${s}`);
    expect(names).toEqual(expectedIds.map((id) => `job-1/task-1/${id}.json`).sort());
    const items = byId(blobs);

    const plain = items.get('1000000000000000001')!;
    expect(plain).toMatchObject({
      SchemaVersion: '1.0',
      Id: '1000000000000000001',
      SourceType: 'Twitter',
      ItemType: 'Tweet',
      ContainerId: ACCOUNT.id,
      ContainerName: ACCOUNT.name,
      ThreadId: '1000000000000000001',
      ParentId: null,
      Recipients: [],
      SentTimeUtc: at(1),
      ContentType: 1,
      Content: 'Plain post & <friends>',
      MessagePreviewText: 'Plain post & <friends>',
      NumOfLikes: 3,
      PreContext: null,
      PostContext: null,
      ContentAttachments: null,
    });
    expect(plain.Sender).toEqual({ Id: ACCOUNT.id, UserProfilePhotoUrl: null, Name: ACCOUNT.name, EmailAddress: null, MobileNumber: null });

    const selfReply = items.get('1000000000000000002')!;
    expect(selfReply.ThreadId).toBe('1000000000000000001');
    expect(selfReply.ParentId).toBe('1000000000000000001');
    expect(selfReply.PreContext?.[0]?.Id).toBe('1000000000000000001');

    const retweet = items.get('1000000000000000003')!;
    expect(retweet.Content).toBe('RT @fabrikam: Original by Fabrikam with all the words of a long sentence that X truncates in a retweet');
    expect(retweet.PreContext?.[0]).toMatchObject({ Id: '1000000000000000100', Sender: { Name: 'Fabrikam', UserProfilePhotoUrl: OTHER.profile_image_url }, NumOfLikes: 7 });

    expect(items.get('1000000000000000004')!.PreContext?.[0]?.Content).toBe('Quoted thought');
    const otherReply = items.get('1000000000000000005')!;
    expect(otherReply).toMatchObject({ ThreadId: '1000000000000000102', ParentId: '1000000000000000102' });
    expect(otherReply.PreContext?.[0]?.Content).toBe('A question for Contoso?');

    expect(items.get('1000000000000000006')!.Content).toBe(`Long post start ${'word '.repeat(120)}end`);

    const withPhoto = items.get('1000000000000000007')!;
    expect(withPhoto.ContentAttachments).toEqual([{ Content: photo.toString('base64'), Uri: photoUrl, AttachmentType: 'media', AttachmentFileName: 'photo1.jpg' }]);
    const video = items.get('1000000000000000008')!.ContentAttachments![0]!;
    expect(video.Uri).toBe(videoHiUrl);
    expect(Buffer.from(video.Content!, 'base64').equals(videoHi)).toBe(true);
    const animated = items.get('1000000000000000009')!.ContentAttachments![0]!;
    expect(Buffer.from(animated.Content!, 'base64').equals(gif)).toBe(true);
    expect(animated.AttachmentFileName).toBe('gif1.mp4');

    expect(items.get('1000000000000000010')!.Content).toBe('Edited text, second version');
    expect(items.get('1000000000000000012')!.Content).toBe('שלום עולם 🎉 مرحبا 👩‍👩‍👧');
    expect(items.get('1000000000000000050')!.Content).toBe('Older post, edited since');
    expect(items.has('1000000000000000051')).toBe(false);

    const [report] = await p.events.waitForReports(1);
    expect(report!.jobId).toBe('job-1');
    expect(report!.authorization).toMatch(/^Bearer ey/);
    expect(report!.body.taskId).toBe('task-1');
    expect(report!.body.status).toBe(0);
    expect(report!.body.itemMetadata.map((m) => m.id).sort()).toEqual([...expectedIds].sort());
    expect(report!.body.itemMetadata.find((m) => m.id === '1000000000000000001')).toEqual({ id: '1000000000000000001', modificationTimestampUtc: at(1), fileName: '1000000000000000001.json' });
    // The token came from the configured AAD app, for the Event API's scope, in this tenant.
    expect(p.aad.tokenRequests.at(-1)).toMatchObject({ clientId: p.c.config ? (await p.c.store.getSettings()).AADAppId : '', scope: 'https://microsoft.onmicrosoft.com/4e476d41-2395-42be-89ff-34cb9186a1ac/.default', tenant: p.c.config.tenantId });

    const job = await p.c.store.getJob('job-1');
    expect(job?.sinceId).toBe('1000000000000000050');
    const run = await p.c.store.getTaskRun('job-1', 'task-1');
    expect(run).toMatchObject({ status: 'success', items: 12, attachmentsSkipped: 0, reported: true, error: null });
    expect(run?.durationMs).toBeGreaterThanOrEqual(0);
    // Every X call was paged with the window and the fields the Item needs.
    const timelineCall = p.x.requests.find((r) => r.path === `/2/users/${ACCOUNT.id}/tweets`)!;
    expect(timelineCall.query).toMatchObject({ max_results: '100', start_time: '2026-11-10T00:00:00.000Z', end_time: '2026-11-10T23:59:59.000Z' });
    expect(timelineCall.query['tweet.fields']).toContain('note_tweet');
    expect(timelineCall.query['expansions']).toContain('referenced_tweets.id');
  });

  test('when the same task comes again, then its blobs are overwritten, not duplicated', async () => {
    const before = (await p.blobs()).length;
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 'task-1'))!, reported: false });
    await p.requestTask('task-1', WINDOW.start, WINDOW.end, ['1000000000000000050']);
    expect(await p.worker.drain()).toBe(1);
    expect((await p.blobs()).length).toBe(before);
    expect(p.events.reports.length).toBe(2);
  });

  test("a task's progress is logged phase by phase, each line naming its task once", async () => {
    const lines = p.c.logs
      .text()
      .split('\n')
      .filter((l) => l.includes('"taskId":"task-1"'));
    const fetched = lines.find((l) => l.includes('posts fetched and counted'));
    const uploaded = lines.find((l) => l.includes('items uploaded'));
    // 12 posts: the window's 11 and the DirtyEntity fetched by id, from another day.
    expect(JSON.parse(fetched!)).toMatchObject({ jobId: 'job-1', posts: 12, days: 2 });
    expect(JSON.parse(uploaded!)).toMatchObject({ items: 12, failed: false });
    for (const l of lines) expect(l.match(/"taskId":/g)).toHaveLength(1);
  });

  test('no log line of the whole run holds the SAS signature, a token or a setting', async () => {
    const logs = p.c.logs.text();
    expect(logs).toContain('task reported');
    const sig = new URL(p.sasUrl).searchParams.get('sig')!;
    expect(sig.length).toBeGreaterThan(10);
    expect(logs).not.toContain(sig);
    expect(logs).not.toContain(encodeURIComponent(sig));
    for (const secret of [ACCOUNT_TOKENS.accessToken, ACCOUNT_TOKENS.accessSecret, ...Object.values(SIX_SETTINGS)]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/Bearer ey/);
  });

  test('when no task is queued, then a run does nothing', async () => {
    expect(await p.worker.runOnce()).toBeUndefined();
  });
});
