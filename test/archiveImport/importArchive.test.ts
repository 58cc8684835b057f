import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Item } from '../../src/ingest/item';
import { account, archiveDate, manifest, snowflake, writeArchive, ytd, type ArchiveFiles } from '../fakes/xArchive';
import { API_SECRET_KEY, TENANT_ID } from '../helpers/connector';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT, signInJob } from '../helpers/signIn';
import { importArchive } from '../../src/archiveImport/importArchive';
import type { Store } from '../../src/store/types';

const ROOT = join(__dirname, '..', '..');
const DAY = '2018-10-10';
const at = (time: string) => `${DAY}T${time}.000Z`;

const ids = {
  root: snowflake(at('08:00:00')),
  reply: snowflake(at('09:00:00')),
  replyOfReply: snowflake(at('10:00:00')),
  video: snowflake(at('11:00:00')),
  long: snowflake(at('12:00:00')),
  deleted: snowflake(at('13:00:00')),
  edited0: snowflake(at('14:00:00')),
  edited1: snowflake(at('14:10:00')),
  later: snowflake('2018-10-12T08:00:00.000Z'),
  dm: snowflake(at('15:00:00')),
  groupDm: snowflake(at('16:00:00')),
  laterDm: snowflake('2018-10-13T08:00:00.000Z'),
  older: snowflake(at('17:00:00')),
};
const PHOTO = Buffer.from('photo bytes \u0000\u00ff of the root post', 'latin1');
const VIDEO = Buffer.from('mp4 bytes of the video post '.repeat(50), 'latin1');
const DM_PHOTO = Buffer.from('a photo sent in a DM', 'latin1');
const LONG_TEXT = `${'A long post, longer than 280 characters. '.repeat(10)}The end & more.`;

function tweet(id: string, iso: string, text: string, extra: Record<string, unknown> = {}) {
  return { tweet: { id_str: id, id, created_at: archiveDate(iso), full_text: text, favorite_count: '0', retweet_count: '0', lang: 'en', entities: { urls: [], user_mentions: [], hashtags: [] }, ...extra } };
}

function archiveFiles(accountId = ACCOUNT.id): ArchiveFiles {
  const photo = { id_str: '900001', media_url_https: 'https://pbs.twimg.com/media/Photo1.jpg', url: 'https://t.co/ph1', expanded_url: `https://x.com/contoso/status/${ids.root}/photo/1`, type: 'photo', indices: ['38', '61'] };
  const video = {
    id_str: '900002',
    media_url_https: 'https://pbs.twimg.com/ext_tw_video_thumb/900002/pu/img/Thumb.jpg',
    url: 'https://t.co/vid',
    expanded_url: `https://x.com/contoso/status/${ids.video}/video/1`,
    type: 'video',
    indices: ['11', '34'],
    video_info: { variants: [{ bitrate: '256000', content_type: 'video/mp4', url: 'https://video.twimg.com/ext_tw_video/900002/pu/vid/320x180/Small.mp4?tag=10' }, { bitrate: '832000', content_type: 'video/mp4', url: 'https://video.twimg.com/ext_tw_video/900002/pu/vid/640x360/Vid4.mp4?tag=10' }] },
  };
  return {
    'data/manifest.js': manifest(accountId, 'contoso'),
    'data/account.js': account(accountId, 'contoso'),
    'data/tweets.js': ytd('tweets', 0, [
      tweet(ids.root, at('08:00:00'), 'Hello &amp; welcome https://t.co/abc https://t.co/ph1', {
        favorite_count: '7',
        entities: { urls: [{ url: 'https://t.co/abc', expanded_url: 'https://example.com/welcome', display_url: 'example.com/welcome', indices: ['18', '37'] }], user_mentions: [], media: [photo] },
        extended_entities: { media: [photo] },
      }),
      tweet(ids.video, at('11:00:00'), 'Our video https://t.co/vid', { entities: { urls: [], user_mentions: [], media: [video] }, extended_entities: { media: [video] } }),
      tweet(ids.long, at('12:00:00'), `${LONG_TEXT.slice(0, 270)}… https://t.co/lng`),
      tweet(ids.edited0, at('14:00:00'), 'Frist version', { edit_info: { initial: { editTweetIds: [ids.edited0, ids.edited1], editableUntil: at('15:00:00'), editsRemaining: '4', isEditEligible: true } } }),
      tweet(ids.edited1, at('14:10:00'), 'First version, fixed', { edit_info: { edit: { initialTweetId: ids.edited0, editControlInitial: { editTweetIds: [ids.edited0, ids.edited1] } } } }),
      tweet(ids.later, '2018-10-12T08:00:00.000Z', 'Two days later'),
    ]),
    'data/tweets-part1.js': ytd('tweets', 1, [
      tweet(ids.reply, at('09:00:00'), '@contoso a reply to myself', {
        in_reply_to_status_id_str: ids.root,
        in_reply_to_user_id_str: accountId,
        in_reply_to_screen_name: 'contoso',
        entities: { urls: [], user_mentions: [{ screen_name: 'contoso', name: 'Contoso News', id_str: accountId, indices: ['0', '8'] }] },
      }),
      tweet(ids.replyOfReply, at('10:00:00'), 'and the end of the thread', { in_reply_to_status_id_str: ids.reply, in_reply_to_user_id_str: accountId }),
    ]),
    'data/note-tweet.js': ytd('note_tweet', 0, [{ noteTweet: { noteTweetId: '777', createdAt: at('12:00:00'), updatedAt: at('12:00:00'), core: { text: LONG_TEXT.replace('&', '&amp;'), urls: [], mentions: [], cashtags: [], hashtags: [], styletags: [] } } }]),
    'data/deleted-tweets.js': ytd('deleted_tweets', 0, [{ tweet: { ...tweet(ids.deleted, at('13:00:00'), 'A post deleted later').tweet, deleted_at: '2019-01-01T00:00:00.000Z' } }]),
    'data/direct-messages.js': ytd('direct_messages', 0, [
      {
        dmConversation: {
          conversationId: `42-${accountId}`,
          messages: [
            { messageCreate: { recipientId: accountId, reactions: [], urls: [{ url: 'https://t.co/dmpic', expanded: `https://twitter.com/messages/media/${ids.dm}`, display: 'pic.twitter.com/dmpic' }], text: 'Hi there, a photo https://t.co/dmpic', mediaUrls: [`https://ton.twitter.com/dm/${ids.dm}/555/DmPic.jpg`], senderId: '42', id: ids.dm, createdAt: at('15:00:00') } },
            { messageCreate: { recipientId: '42', reactions: [], urls: [], text: 'Later', mediaUrls: [], senderId: accountId, id: ids.laterDm, createdAt: '2018-10-13T08:00:00.000Z' } },
          ],
        },
      },
    ]),
    'data/direct-messages-group.js': ytd('direct_messages_group', 0, [
      {
        dmConversation: {
          conversationId: '1234567890',
          messages: [
            { joinConversation: { initiatingUserId: '42', participantsSnapshot: ['42', '43', accountId], createdAt: at('00:00:01') } },
            { messageCreate: { reactions: [], urls: [], text: 'Hello group', mediaUrls: [], senderId: accountId, id: ids.groupDm, createdAt: at('16:00:00') } },
          ],
        },
      },
    ]),
    [`data/tweets_media/${ids.root}-Photo1.jpg`]: PHOTO,
    [`data/tweets_media/${ids.video}-Vid4.mp4`]: VIDEO,
    [`data/direct_messages_media/${ids.dm}-DmPic.jpg`]: DM_PHOTO,
    'Your archive.html': '<html>X archive</html>',
  };
}

/** An archive from before 2019: data/tweet.js, elements without the { tweet } wrapper. */
function olderArchiveFiles(): ArchiveFiles {
  return {
    'data/manifest.js': manifest(ACCOUNT.id, 'contoso'),
    'data/account.js': account(ACCOUNT.id, 'contoso'),
    'data/tweet.js': ytd('tweet', 0, [tweet(ids.older, at('17:00:00'), 'From an older archive').tweet, tweet(ids.root, at('08:00:00'), 'Hello &amp; welcome').tweet]),
  };
}

describe('importing the account\'s own X archive', () => {
  let p: Pipeline;
  let dir: string;
  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'import-archive', ...args], {
      env: { PATH: process.env['PATH'] ?? '', DATA_DIR: p.c.dataDir, API_SECRET_KEY, TENANT_ID },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    p = await startPipeline({ env: { ARCHIVE: 'on' } });
    dir = mkdtempSync(join(tmpdir(), 'xarchive-'));
    await writeArchive(join(dir, 'twitter-2026-11-01.zip'), archiveFiles());
    await writeArchive(join(dir, 'older.zip'), olderArchiveFiles());
    await writeArchive(join(dir, 'other.zip'), archiveFiles('1999999999999999999'));
    await writeArchive(join(dir, 'not-x.zip'), { 'hello.txt': 'not an X archive' });
  });
  afterAll(async () => {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the archive is another account\'s, then the CLI refuses it naming both ids, exit code 2, and nothing is written', async () => {
    const r = await cli(['--job', 'job-1', join(dir, 'other.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1999999999999999999');
    expect(r.stderr).toContain(ACCOUNT.id);
    expect(await p.c.store.listImports()).toEqual([]);
  });

  it('when the file is not an X archive, then the CLI says so with exit code 2', async () => {
    const notZip = await cli(['--job', 'job-1', join(ROOT, 'package.json')]);
    expect(notZip.code).toBe(2);
    expect(notZip.stderr).toMatch(/is not an X archive: it is not a zip file/);
    const noData = await cli(['--job', 'job-1', join(dir, 'not-x.zip')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/not-x\.zip is not an X archive/);
    expect(await p.c.store.listImports()).toEqual([]);
  });

  it('when imported by the CLI, then its posts and DMs are kept, and a second import adds nothing', async () => {
    const first = await cli(['--job', 'job-1', join(dir, 'twitter-2026-11-01.zip')]);
    expect(first.stderr).toBe(first.code === 0 ? first.stderr : 'no error');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/found 9 posts, 3 DMs, 3 media files; added 9 posts, 3 DMs; 3 media files used/);
    const again = await cli(['--job', 'job-1', join(dir, 'twitter-2026-11-01.zip')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/found 9 posts, 3 DMs, 3 media files; added 0 posts, 0 DMs/);
    const older = await cli(['--job', 'job-1', join(dir, 'older.zip')]);
    expect(older.stdout).toMatch(/found 2 posts, 0 DMs, 0 media files; added 1 posts, 0 DMs/);
    const imports = await p.c.store.listImports();
    expect(imports.map((i) => [i.fileName, i.status, i.accountId]).sort()).toEqual([
      ['older.zip', 'done', ACCOUNT.id],
      ['twitter-2026-11-01.zip', 'done', ACCOUNT.id],
    ]);
  });

  it('when an import stops half-way, then running it again completes it, adding only what is missing', async () => {
    await signInJob(p.c, p.x, 'job-2');
    // The store fails on the DMs' batch, as a crash after the posts' batch would leave it.
    const crashing = Object.create(p.c.store) as Store;
    crashing.putImportedRecords = async (jobId, records) => {
      if (records[0]?.kind === 'dm') throw new Error('crashed');
      return p.c.store.putImportedRecords(jobId, records);
    };
    await expect(importArchive({ store: crashing, dataDir: p.c.dataDir, jobId: 'job-2', zipPath: join(dir, 'twitter-2026-11-01.zip') })).rejects.toThrow('crashed');
    expect((await p.c.store.listImports()).find((i) => i.jobId === 'job-2')?.status).toBe('failed');
    const again = await cli(['--job', 'job-2', join(dir, 'twitter-2026-11-01.zip')]);
    expect(again.stdout).toMatch(/added 0 posts, 3 DMs/);
    expect((await p.c.store.listImports()).find((i) => i.jobId === 'job-2')?.status).toBe('done');
  });

  it('when a task asks for a day years back, then it delivers exactly the archive\'s posts and DMs of that day, following the API\'s rules, media from the zip', async () => {
    await p.requestTask('t-2018', `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`);
    expect(await p.worker.drain()).toBe(1);
    const items = new Map((await p.blobs()).map((b) => [b.name.split('/').pop()!.replace('.json', ''), JSON.parse(b.body) as Item]));
    expect([...items.keys()].sort()).toEqual(
      [ids.root, ids.reply, ids.replyOfReply, ids.video, ids.long, ids.deleted, `${ids.deleted}-deleted`, ids.edited0, ids.edited1, ids.dm, ids.groupDm, ids.older].sort(),
    );
    const root = items.get(ids.root)!;
    expect(root.Content).toBe('Hello & welcome https://example.com/welcome');
    expect(root.SentTimeUtc).toBe(at('08:00:00'));
    expect(root.NumOfLikes).toBe(7);
    expect(root.ThreadId).toBe(ids.root);
    expect(Buffer.from(root.ContentAttachments![0]!.Content!, 'base64')).toEqual(PHOTO);
    const thread = items.get(ids.replyOfReply)!;
    expect([thread.ParentId, thread.ThreadId]).toEqual([ids.reply, ids.root]);
    expect(items.get(ids.reply)!.ParentId).toBe(ids.root);
    expect(Buffer.from(items.get(ids.video)!.ContentAttachments![0]!.Content!, 'base64')).toEqual(VIDEO);
    expect(items.get(ids.long)!.Content).toBe(LONG_TEXT);
    expect(items.get(`${ids.deleted}-deleted`)!.ItemType).toBe('TweetDeletion');
    expect(items.get(ids.edited1)!.PreContext?.map((i) => i.Content)).toEqual(['Frist version']);
    const dm = items.get(ids.dm)!;
    expect([dm.ItemType, dm.ThreadId, dm.Sender.Id, dm.Recipients.map((r) => r.Id), dm.Content]).toEqual(['DirectMessage', `42-${ACCOUNT.id}`, '42', [ACCOUNT.id], 'Hi there, a photo']);
    expect(Buffer.from(dm.ContentAttachments![0]!.Content!, 'base64')).toEqual(DM_PHOTO);
    const group = items.get(ids.groupDm)!;
    expect([group.ThreadId, group.Sender.Id, group.Recipients.map((r) => r.Id).sort()]).toEqual(['1234567890', ACCOUNT.id, ['42', '43']]);

    // The archive copy: raw.json is the archive's own object; the manifest names the zip and its SHA-256.
    const zipHash = (await p.c.store.listImports()).find((i) => i.fileName === 'twitter-2026-11-01.zip')!.importId;
    const { createHash } = await import('node:crypto');
    expect(zipHash).toBe(createHash('sha256').update(readFileSync(join(dir, 'twitter-2026-11-01.zip'))).digest('hex'));
    const raw = JSON.parse(readFileSync(join(p.c.dataDir, 'archive', 'job-1', 'items', DAY, ids.root, 'raw.json'), 'utf8')) as { data: { tweet: { id_str: string } } };
    expect(raw.data.tweet.id_str).toBe(ids.root);
    const { readdirSync } = await import('node:fs');
    const manifests = readdirSync(join(p.c.dataDir, 'archive', 'job-1', 'manifests'), { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl') || f.endsWith('.ndjson'));
    const text = manifests.map((f) => readFileSync(join(p.c.dataDir, 'archive', 'job-1', 'manifests', f), 'utf8')).join('\n');
    expect(text).toContain(`"source":"x-archive:twitter-2026-11-01.zip:${zipHash}"`);
  });

  it("when X's API also returns a post the archive holds, then the API's copy is the one archived, once", async () => {
    p.x.addPosts([{ id: ids.later, author_id: ACCOUNT.id, text: 'Two days later, as the API serves it', created_at: '2018-10-12T08:00:00.000Z' }]);
    await p.requestTask('t-both', '2018-10-12T00:00:00Z', '2018-10-12T23:59:59Z');
    expect(await p.worker.drain()).toBe(1);
    const items = (await p.blobs()).filter((b) => b.name.includes(ids.later)).map((b) => JSON.parse(b.body) as Item);
    expect(items.map((i) => i.Content)).toEqual(['Two days later, as the API serves it']);
  });
});
