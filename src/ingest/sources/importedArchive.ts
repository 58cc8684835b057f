import type { TweetV2, UserV2 } from 'twitter-api-v2';
import type { DmData, PostData } from '../../archiveImport/format';
import { importedZipPath } from '../../archiveImport/importArchive';
import { includesOf, mapMessage, memberByUrl, postOf, toV2 } from '../../archiveImport/items';
import { Zip } from '../../archiveImport/zip';
import { IMPORTED_PAGE_MAX, type ImportedRecord } from '../../store/importTypes';
import type { Store } from '../../store/types';
import { mapDeletion } from '../deletionItem';
import { dayOf, Includes, ItemBody, mapPost } from '../item';
import type { ItemContext, MadeItem, Source, SourceContext, SourcePage } from './source';

/** A record of the account's own X archive as the spool keeps it. */
export interface ImportedArchiveRecord {
  id: string;
  created_at: string;
  kind: 'post' | 'dm' | 'deletion';
  importId: string;
  data: PostData | DmData;
  /** A post's thread: the root of its reply chain as far as the archive holds it. */
  threadId: string;
  /** A deletion record: the post's created_at, and when the connector learned it (the import). */
  postedAt?: string;
}

const MAX_CHAIN = 100;

/** The root of a post's reply chain among the job's imported posts, else the post itself. */
async function threadOf(store: Store, jobId: string, rec: ImportedRecord, cache: Map<string, string>): Promise<string> {
  const chain: string[] = [];
  let current: ImportedRecord | undefined = rec;
  let root = rec.id;
  while (current && chain.length < MAX_CHAIN) {
    const known = cache.get(current.id);
    if (known) {
      root = known;
      break;
    }
    chain.push(current.id);
    root = current.id;
    const parentId: string | null | undefined = current.kind === 'post' ? postOf(JSON.parse(current.data) as PostData).in_reply_to_status_id_str : undefined;
    current = parentId ? await store.getImportedRecord(jobId, parentId) : undefined;
  }
  for (const id of chain) cache.set(id, root);
  return root;
}

/** Open zips, by hash: a task reads many members of the same one. */
const zips = new Map<string, Promise<Zip>>();
const ZIPS_OPEN = 4;
function zipOf(dataDir: string, importId: string): Promise<Zip> {
  let z = zips.get(importId);
  if (!z) {
    z = Zip.open(importedZipPath(dataDir, importId));
    z.catch(() => zips.delete(importId));
    zips.set(importId, z);
    if (zips.size > ZIPS_OPEN) {
      const [oldest, p] = zips.entries().next().value!;
      zips.delete(oldest);
      void p.then((zip) => zip.close(), () => undefined);
    }
  }
  return z;
}

/** The manifest's source of an imported item: the zip by name and SHA-256. */
export function provenanceOf(rec: ImportedArchiveRecord): string {
  return `x-archive:${rec.data.zip}:${rec.importId}`;
}

/** Media members' content (base64) by URL, read from the zip: null when too large or absent. */
async function readMedia(members: Map<string, string>, rec: ImportedArchiveRecord, ctx: ItemContext): Promise<Map<string, string | null>> {
  const zip = await zipOf(ctx.config.dataDir, rec.importId);
  const out = new Map<string, string | null>();
  for (const [url, member] of members) {
    const bytes = await ctx.download(() => zip.read(member, ctx.config.maxAttachmentBytes));
    if (!bytes) ctx.log.warn({ member }, 'attachment kept without content');
    out.set(url, bytes ? bytes.toString('base64') : null);
  }
  return out;
}

/** The page's posts converted once, however many of them are made Items. */
const converted = new WeakMap<SourcePage<ImportedArchiveRecord>, { inc: Includes; byId: Map<string, { post: TweetV2; members: Map<string, string> }> }>();
function pageOf(page: SourcePage<ImportedArchiveRecord>, ctx: ItemContext) {
  let c = converted.get(page);
  if (!c) {
    const list = page.data
      .filter((r) => r.kind === 'post')
      .map((r) => {
        const v2 = toV2(r.data as PostData, ctx.container.id, r.threadId);
        const members = new Map<string, string>();
        memberByUrl(r.data as PostData, v2.media, members);
        return { ...v2, members };
      });
    const account = { id: ctx.container.id, name: ctx.container.name, username: ctx.container.name } as UserV2;
    c = { inc: new Includes(includesOf(list, account)), byId: new Map(list.map((l) => [l.post.id, l])) };
    converted.set(page, c);
  }
  return c;
}

async function makeItem(rec: ImportedArchiveRecord, page: SourcePage<ImportedArchiveRecord>, ctx: ItemContext): Promise<MadeItem> {
  const provenance = { raw: rec.data.raw, provenance: provenanceOf(rec) };
  if (rec.kind === 'deletion') {
    const data = rec.data as PostData;
    const item = mapDeletion(
      // Counted with its post (in the window); sent when it was deleted, as the archive says (a re-run makes the same Item).
      { jobId: '', postId: postOf(data).id_str, action: 'delete', reason: 'deleted', occurredAt: data.deletedAt || null, learnedAt: data.deletedAt || rec.created_at, conversationId: rec.threadId, via: 'archive', claimedBy: null },
      ctx.container,
      rec.postedAt ?? null,
    );
    return { item, body: new ItemBody().toBuffer(item), skipped: 0, ...provenance };
  }
  if (rec.kind === 'dm') {
    const data = rec.data as DmData;
    const media = await readMedia(new Map(data.media.map((m) => [m.url, m.member])), rec, ctx);
    const body = new ItemBody();
    const item = mapMessage(data, ctx.container, (url) => {
      const b64 = media.get(url);
      return b64 ? body.placeholder(b64) : null;
    });
    return { item, body: body.toBuffer(item), skipped: [...media.values()].filter((v) => v === null).length, ...provenance };
  }
  const { inc, byId } = pageOf(page, ctx);
  const mine = byId.get(rec.id)!;
  // The media the Item shows: its own, and those of the page's posts it shows (replied to, earlier versions).
  const members = new Map(mine.members);
  for (const ref of mine.post.referenced_tweets ?? []) for (const [u, m] of byId.get(ref.id)?.members ?? []) members.set(u, m);
  for (const id of mine.post.edit_history_tweet_ids ?? []) for (const [u, m] of byId.get(id)?.members ?? []) members.set(u, m);
  const media = await readMedia(members, rec, ctx);
  const body = new ItemBody();
  const item = mapPost(mine.post, inc, ctx.container, (ref) => {
    const b64 = media.get(ref.url);
    return b64 ? body.placeholder(b64) : null;
  });
  const skipped = (item.ContentAttachments ?? []).filter((a) => a.Content === null).length;
  const deleted = (rec.data as PostData).deletedAt !== undefined;
  return {
    item,
    body: body.toBuffer(item),
    skipped,
    ...provenance,
    // A post the archive already lists as deleted is not asked about again.
    ...(deleted ? {} : { archived: { postId: rec.id, createdAt: item.SentTimeUtc, day: dayOf(rec.created_at), conversationId: rec.threadId } }),
  };
}

/**
 * The account's own X archive, imported (npm run import-archive): the posts and DMs whose time is
 * in the task's window, in id order, a page at a time. After the API's sources: a record X's API
 * returned in the same task is taken from there (it carries v2 fields). A post the archive lists
 * as deleted is followed by its TweetDeletion item.
 */
export const importedArchiveSource: Source<ImportedArchiveRecord> = {
  name: 'importedArchive',
  wanted: () => true,
  // Most tasks' windows hold no imported record: then the API's ids need not be kept for this source.
  async mayRepeat(ctx) {
    const one = await ctx.store.listImportedRecords(ctx.job.jobId, { from: ctx.window.start.toISOString(), to: ctx.window.end.toISOString(), limit: 1 });
    return one.length > 0;
  },
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<ImportedArchiveRecord>> {
    const threads = new Map<string, string>();
    const from = ctx.window.start.toISOString();
    const to = ctx.window.end.toISOString();
    for (let after: string | undefined; ; ) {
      const rows = await ctx.store.listImportedRecords(ctx.job.jobId, { from, to, limit: IMPORTED_PAGE_MAX, ...(after ? { after } : {}) });
      const data: ImportedArchiveRecord[] = [];
      for (const r of rows) {
        const parsed = JSON.parse(r.data) as PostData | DmData;
        if (r.kind === 'dm') {
          data.push({ id: r.id, created_at: r.createdAt, kind: 'dm', importId: r.importId, data: parsed, threadId: (parsed as DmData).conversationId });
          continue;
        }
        const threadId = await threadOf(ctx.store, ctx.job.jobId, r, threads);
        data.push({ id: r.id, created_at: r.createdAt, kind: 'post', importId: r.importId, data: parsed, threadId });
        if ((parsed as PostData).deletedAt !== undefined) {
          data.push({ id: `${r.id}-deleted`, created_at: r.createdAt, kind: 'deletion', importId: r.importId, data: parsed, threadId, postedAt: r.createdAt });
        }
      }
      if (data.length) yield { data, includes: {} };
      if (rows.length < IMPORTED_PAGE_MAX) return;
      after = rows.at(-1)!.id;
    }
  },
  makeItem,
};
