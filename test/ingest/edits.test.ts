/**
 * End to end over loopback: every version of an edited post is archived, and a post arrives in Blob
 * Storage as the person saw it (links, poll, a retweet whose author X withholds, a reply to a post
 * X no longer serves).
 */
import { randomBytes } from 'node:crypto';
import type { Item } from '../../src/ingest/item';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';
import type { FakeXPost } from '../fakes/xServer';
import { ACCOUNT } from '../helpers/signIn';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

const me = ACCOUNT.id;
const OTHER = { id: '2200000000000000002', name: 'Fabrikam', username: 'fabrikam' };

function byId(blobs: { name: string; body: string }[]): Map<string, Item> {
  return new Map(blobs.map((b) => [b.name.split('/').pop()!.replace('.json', ''), JSON.parse(b.body) as Item]));
}

/** The versions of one edited post, oldest first: each a post of its own with the whole chain. */
function editChain(ids: string[], times: string[], conversationId?: string): FakeXPost[] {
  return ids.map((id, i) => ({
    id,
    author_id: me,
    created_at: times[i]!,
    text: `Launch day ${'!'.repeat(i + 1)} (version ${i + 1})`,
    edit_history_tweet_ids: ids,
    conversation_id: conversationId ?? id,
  }));
}

let azurite: AzuriteHandle;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

describe('every version of an edited post', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await startPipeline({ azurite });
  });
  afterEach(async () => {
    await p.close();
  });

  test('when a post was edited across the start of the window, then each version created in it is an Item of its own and the newest carries every earlier one, oldest first', async () => {
    const ids = ['1500000000000000001', '1500000000000000002', '1500000000000000003'];
    // The first version is from the day before the window; the second and third are in it.
    p.x.addPosts(editChain(ids, ['2026-11-11T23:50:00.000Z', '2026-11-12T00:05:00.000Z', '2026-11-12T00:15:00.000Z']));
    await p.requestTask('t1', '2026-11-12T00:00:00Z', '2026-11-12T23:59:59Z');
    expect(await p.worker.drain()).toBe(1);

    const items = byId(await p.blobs());
    expect([...items.keys()].sort()).toEqual([ids[1], ids[2]]);
    const [, second, newest] = ids.map((id) => items.get(id!));
    expect(second).toMatchObject({ Id: ids[1], SentTimeUtc: '2026-11-12T00:05:00.000Z', ThreadId: ids[1], Content: 'Launch day !! (version 2)', PreContext: null });
    expect(newest).toMatchObject({ Id: ids[2], SentTimeUtc: '2026-11-12T00:15:00.000Z', ThreadId: ids[2], Content: 'Launch day !!! (version 3)' });
    expect(newest!.PreContext?.map((v) => [v.Id, v.SentTimeUtc, v.Content, v.ThreadId])).toEqual([
      [ids[0], '2026-11-11T23:50:00.000Z', 'Launch day ! (version 1)', ids[0]],
      [ids[1], '2026-11-12T00:05:00.000Z', 'Launch day !! (version 2)', ids[1]],
    ]);

    const [report] = await p.events.waitForReports(1);
    expect(report!.body.itemMetadata.map((m) => [m.id, m.modificationTimestampUtc, m.fileName]).sort()).toEqual([
      [ids[1], '2026-11-12T00:05:00.000Z', `${ids[1]}.json`],
      [ids[2], '2026-11-12T00:15:00.000Z', `${ids[2]}.json`],
    ]);
    // The version from the day before was neither counted nor archived.
    expect(await p.c.store.dayTotals('2026-11-01')).toEqual([{ jobId: 'job-1', day: '2026-11-12', items: 2, refused: 0 }]);
    // X was asked for every version through the expansion.
    const call = p.x.requests.find((r) => r.path === `/2/users/${me}/tweets`)!;
    expect(call.query['expansions']!.split(',')).toContain('edit_history_tweet_ids');
  });

  test('when DirtyEntities names newest versions, then each is uploaded again with its earlier versions in PreContext, and an earlier version created in the window is an Item too', async () => {
    const old = ['1500000000000000021', '1500000000000000022'];
    const late = ['1500000000000000031', '1500000000000000032'];
    p.x.addPosts([
      ...editChain(old, ['2026-11-01T08:00:00.000Z', '2026-11-01T08:10:00.000Z']),
      // Posted just before the window ends, edited after it: the timeline does not list it for this window.
      ...editChain(late, ['2026-11-14T23:55:00.000Z', '2026-11-15T00:10:00.000Z']),
    ]);
    await p.requestTask('t1', '2026-11-14T00:00:00Z', '2026-11-14T23:59:59Z', [old[1]!, late[1]!]);
    await p.worker.drain();
    const items = byId(await p.blobs());
    // Asked for by id, whatever their date; of their earlier versions only the one created in the window is an Item.
    expect([...items.keys()].sort()).toEqual([old[1], late[0], late[1]]);
    expect(items.get(old[1]!)!.PreContext?.map((v) => v.Id)).toEqual([old[0]]);
    expect(items.get(late[1]!)!.PreContext?.map((v) => v.Id)).toEqual([late[0]]);
    expect(items.get(late[0]!)).toMatchObject({ SentTimeUtc: '2026-11-14T23:55:00.000Z', PreContext: null });
    expect(await p.c.store.dayTotals('2026-11-01')).toEqual([
      { jobId: 'job-1', day: '2026-11-01', items: 1, refused: 0 },
      { jobId: 'job-1', day: '2026-11-14', items: 1, refused: 0 },
      { jobId: 'job-1', day: '2026-11-15', items: 1, refused: 0 },
    ]);
  });
});

describe('the cap counts every version', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ azurite, env: { DAILY_ITEM_CAP: '3' } });
  });
  afterAll(async () => {
    await p.close();
  });

  test('when a day holds two posts and an edited post of two versions, then it counts 4 and, over a cap of 3, none of it is uploaded', async () => {
    p.x.addPosts([
      ...editChain(['1600000000000000001', '1600000000000000002'], ['2026-11-20T10:00:00.000Z', '2026-11-20T10:03:00.000Z']),
      { id: '1600000000000000010', author_id: me, created_at: '2026-11-20T11:00:00.000Z', text: 'plain one' },
      { id: '1600000000000000011', author_id: me, created_at: '2026-11-20T12:00:00.000Z', text: 'plain two' },
      // Another day: an edited post of three versions is exactly the cap.
      ...editChain(['1600000000000000021', '1600000000000000022', '1600000000000000023'], ['2026-11-21T10:00:00.000Z', '2026-11-21T10:01:00.000Z', '2026-11-21T10:02:00.000Z']),
    ]);
    await p.requestTask('t1', '2026-11-20T00:00:00Z', '2026-11-21T23:59:59Z');
    await p.worker.drain();
    expect(await p.c.store.dayTotals('2026-11-20')).toEqual([
      { jobId: 'job-1', day: '2026-11-20', items: 0, refused: 4 },
      { jobId: 'job-1', day: '2026-11-21', items: 3, refused: 0 },
    ]);
    expect((await p.blobs()).map((b) => b.name.split('/').pop()).sort()).toEqual(['1600000000000000021.json', '1600000000000000022.json', '1600000000000000023.json']);
    expect(await p.c.store.getTaskRun('job-1', 't1')).toMatchObject({ items: 3, daysOverCap: ['2026-11-20'] });
  });
});

describe('a post as the person saw it, in Blob Storage', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ azurite });
  });
  afterAll(async () => {
    await p.close();
  });

  test('when the day has a link, a poll, a retweet whose author X withholds and a reply to a deleted post, then each Item says what was shown', async () => {
    p.x.addUser(OTHER);
    const photo = randomBytes(2000);
    const photoUrl = p.x.addMediaFile('/media/launch.jpg', photo, 'image/jpeg');
    const withheldAuthor = '3300000000000000003'; // never added: X leaves a withheld account out of includes.users
    p.x.addPosts([
      {
        id: '1700000000000000001', author_id: me, created_at: '2026-11-22T09:00:00.000Z',
        text: 'Our launch & more, with @fabrikam: https://t.co/aRt1cLe https://t.co/PhOt0',
        links: [
          { url: 'https://t.co/aRt1cLe', expanded_url: 'https://bit.ly/launch', unwound_url: 'https://contoso.example/launch?ref=x' },
          { url: 'https://t.co/PhOt0', expanded_url: `https://twitter.com/contoso/status/1700000000000000001/photo/1`, media_key: '3_1' },
        ],
        media: [{ media_key: '3_1', type: 'photo', url: photoUrl, alt_text: 'The team on stage' }],
      },
      {
        id: '1700000000000000002', author_id: me, created_at: '2026-11-22T10:00:00.000Z', text: 'Which day suits you?',
        poll: { id: '1700000000000000902', options: [{ position: 1, label: 'Monday', votes: 12 }, { position: 2, label: 'Friday', votes: 1 }], voting_status: 'closed', end_datetime: '2026-11-22T11:00:00.000Z' },
      },
      {
        id: '1700000000000000100', author_id: withheldAuthor, created_at: '2026-11-21T08:00:00.000Z', text: 'What we said <then>',
        withheld: { country_codes: ['DE', 'FR'], scope: 'user' },
      },
      { id: '1700000000000000003', author_id: me, created_at: '2026-11-22T11:00:00.000Z', text: 'RT @withheldone: What we said <then>', referenced_tweets: [{ type: 'retweeted', id: '1700000000000000100' }] },
      { id: '1700000000000000101', author_id: OTHER.id, created_at: '2026-11-21T09:00:00.000Z', text: 'Soon deleted' },
      {
        id: '1700000000000000004', author_id: me, created_at: '2026-11-22T12:00:00.000Z', text: '@fabrikam Agreed',
        conversation_id: '1700000000000000101', in_reply_to_user_id: OTHER.id, referenced_tweets: [{ type: 'replied_to', id: '1700000000000000101' }],
      },
    ]);
    p.x.deletePost('1700000000000000101');
    await p.requestTask('t1', '2026-11-22T00:00:00Z', '2026-11-22T23:59:59Z');
    await p.worker.drain();
    const items = byId(await p.blobs());
    expect(items.size).toBe(4);

    const link = items.get('1700000000000000001')!;
    expect(link.Content).toBe('Our launch & more, with @fabrikam: https://contoso.example/launch?ref=x\n\nAlt text of launch.jpg: The team on stage');
    expect(link.Recipients).toEqual([{ Id: OTHER.id, UserProfilePhotoUrl: null, Name: 'Fabrikam', EmailAddress: null, MobileNumber: null }]);
    expect(link.ContentAttachments).toEqual([{ Content: photo.toString('base64'), Uri: photoUrl, AttachmentType: 'media', AttachmentFileName: 'launch.jpg' }]);

    expect(items.get('1700000000000000002')!.Content).toBe('Which day suits you?\n\nPoll (closed, ended 2026-11-22T11:00:00.000Z): Monday: 12 votes; Friday: 1 vote');

    const retweet = items.get('1700000000000000003')!;
    expect(retweet.Content).toBe("RT @withheldone: What we said <then>\n\nWithheld in: DE, FR (the author's account is withheld)");
    expect(retweet.Sender).toMatchObject({ Id: me, Name: ACCOUNT.name });
    expect(retweet.PreContext?.[0]?.Sender).toMatchObject({ Id: withheldAuthor, Name: 'withheldone' });

    const reply = items.get('1700000000000000004')!;
    expect(reply.Content).toBe('@fabrikam Agreed\n\nIn reply to post 1700000000000000101, which X no longer serves: Not Found Error');
    expect(reply).toMatchObject({ ParentId: '1700000000000000101', ThreadId: '1700000000000000101', PreContext: null });
    expect(reply.Recipients.map((r) => r.Id)).toEqual([OTHER.id]);
    expect(await p.c.store.getTaskRun('job-1', 't1')).toMatchObject({ status: 'success', items: 4, attachmentsSkipped: 0 });
  });
});
