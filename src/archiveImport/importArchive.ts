import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Store } from '../store/types';
import type { ArchiveImport, ImportedRecord } from '../store/importTypes';
import { baseName, FILES, isoOf, tweetOf, type ArchiveConversation, type ArchiveMedia, type ArchiveMessage, type ArchiveNote, type ArchiveTweet, type DmData, type PostData } from './format';
import { NotAnArchiveFile, ytdElements } from './ytdFile';
import { Zip } from './zip';

/** Why an archive is not imported: not an X archive, another account's, no such job. Nothing is written. */
export class ImportRefused extends Error {}

export interface ImportOptions {
  store: Store;
  dataDir: string;
  jobId: string;
  zipPath: string;
  /** The name the admin knows the file by (an upload's original name); default the path's. */
  fileName?: string;
  onProgress?: (imp: ArchiveImport) => void;
  /** The zip is the connector's own upload: move it into DATA_DIR/imports rather than copy it. */
  moveZip?: boolean;
}

const BATCH = 500;
const PROGRESS_EVERY = 5000;

/** Where the connector keeps an imported zip: tasks embed its media from there. */
export function importedZipPath(dataDir: string, importId: string): string {
  return join(dataDir, 'imports', `${importId}.zip`);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function openArchive(path: string, fileName: string): Promise<Zip> {
  let zip: Zip;
  try {
    zip = await Zip.open(path);
  } catch (err) {
    throw new ImportRefused(`${fileName} is not an X archive: it is not a zip file (${(err as Error).message})`);
  }
  const names = [...zip.entries.keys()];
  if (!zip.has('data/account.js') || !names.some((n) => FILES.tweets.test(n))) {
    zip.close();
    throw new ImportRefused(`${fileName} is not an X archive: it has no data/account.js and data/tweets.js (X's "Download an archive of your data" zip has both)`);
  }
  return zip;
}

async function* elementsOf<T>(zip: Zip, name: string): AsyncIterable<T> {
  try {
    yield* ytdElements<T>(await zip.stream(name), name);
  } catch (err) {
    if (err instanceof NotAnArchiveFile) throw new ImportRefused(`Not an X archive: ${err.message}`);
    throw err;
  }
}

async function accountOf(zip: Zip): Promise<{ accountId: string; username: string | null }> {
  for await (const e of elementsOf<{ account?: { accountId?: string; username?: string } }>(zip, 'data/account.js')) {
    if (e.account?.accountId) return { accountId: String(e.account.accountId), username: e.account.username ?? null };
  }
  throw new ImportRefused('Not an X archive: data/account.js names no accountId');
}

/** Media members by the id before their first '-' (a post's or a message's id). */
function mediaIndex(zip: Zip): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of zip.entries.keys()) {
    const m = FILES.media.exec(name);
    if (!m) continue;
    const list = out.get(m[2]!) ?? [];
    list.push(name);
    out.set(m[2]!, list);
  }
  return out;
}

/** The zip member of each of a post's media: `<postId>-<file name of its URL or a video variant's>`. */
function postMedia(t: ArchiveTweet, files: string[] | undefined): PostData['media'] {
  if (!files?.length) return [];
  const out: PostData['media'] = [];
  const media: ArchiveMedia[] = t.extended_entities?.media ?? t.entities?.media ?? [];
  for (const m of media) {
    const names = [m.media_url_https, ...(m.video_info?.variants ?? []).map((v) => v.url)].map(baseName).filter((n): n is string => !!n);
    let member = files.find((f) => names.some((n) => f.endsWith(`-${n}`)));
    if (!member && m.type && m.type !== 'photo') member = files.find((f) => f.endsWith('.mp4'));
    if (member) out.push({ mediaId: m.id_str, member });
  }
  return out;
}

/** A long post's full text: note-tweet.js has it by the second it was created (and the post's text starts it). */
function noteFor(t: ArchiveTweet, iso: string, notes: Map<string, ArchiveNote[]>): ArchiveNote | undefined {
  const candidates = notes.get(iso.slice(0, 19));
  if (!candidates?.length) return undefined;
  const head = (t.full_text ?? t.text ?? '').replace(/\s*https:\/\/t\.co\/\w+\s*$/, '').replace(/…$/, '').slice(0, 40);
  return candidates.find((n) => n.core.text.startsWith(head)) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

interface Counts {
  posts: number;
  dms: number;
  media: Set<string>;
}

/** An archive checked and recorded as running: run() reads it into the store. */
export interface PreparedImport {
  readonly import: ArchiveImport;
  run(): Promise<ArchiveImport>;
}

/**
 * Checks that the zip is an X archive of the job's own account (ImportRefused, and nothing
 * written, otherwise), keeps it under DATA_DIR/imports/<sha256>.zip and records the import as
 * running. Quick next to run(): the status page answers once this is done.
 */
export async function prepareImport(opts: ImportOptions): Promise<PreparedImport> {
  const { store, jobId } = opts;
  const fileName = opts.fileName ?? basename(opts.zipPath);
  const job = await store.getJob(jobId);
  if (!job) throw new ImportRefused(`There is no job ${jobId}`);
  if (!job.accountId) throw new ImportRefused(`Job ${jobId} has no signed-in X account: sign in first, so the archive can be checked against it`);
  let zip = await openArchive(opts.zipPath, fileName);
  const begun = Date.now();
  try {
    const account = await accountOf(zip);
    if (account.accountId !== job.accountId) {
      throw new ImportRefused(
        `${fileName} is the archive of X account ${account.accountId}${account.username ? ` (@${account.username})` : ''}, but job ${jobId} is signed in as X account ${job.accountId}${job.accountUsername ? ` (@${job.accountUsername})` : ''}: nothing imported`,
      );
    }
    const { size } = await stat(opts.zipPath);
    const importId = await sha256Of(opts.zipPath);
    const kept = importedZipPath(opts.dataDir, importId);
    if (!(await stat(kept).catch(() => undefined))) {
      await mkdir(join(kept, '..'), { recursive: true });
      if (opts.moveZip) {
        // An upload of ours: moved, not copied (closed first, as Windows cannot move an open file).
        zip.close();
        await rename(opts.zipPath, kept);
        zip = await Zip.open(kept);
      } else {
        await copyFile(opts.zipPath, `${kept}.tmp`);
        await rename(`${kept}.tmp`, kept);
      }
    }
    const media = mediaIndex(zip);
    let mediaFiles = 0;
    for (const list of media.values()) mediaFiles += list.length;
    const imp: ArchiveImport = {
      jobId,
      importId,
      fileName,
      bytes: size,
      accountId: account.accountId,
      accountUsername: account.username,
      status: 'running',
      startedAt: new Date(begun).toISOString(),
      finishedAt: null,
      durationMs: null,
      found: { posts: 0, dms: 0, media: mediaFiles },
      imported: { posts: 0, dms: 0, media: 0 },
      error: null,
    };
    await store.saveImport(imp);
    return {
      import: imp,
      async run() {
        const used: Counts = { posts: 0, dms: 0, media: new Set() };
        try {
          await readAll(zip, imp, media, used, opts);
          imp.status = 'done';
        } catch (err) {
          imp.status = 'failed';
          imp.error = (err as Error).message;
          throw err;
        } finally {
          zip.close();
          imp.imported.media = used.media.size;
          imp.finishedAt = new Date().toISOString();
          imp.durationMs = Date.now() - begun;
          await store.saveImport(imp);
          opts.onProgress?.(imp);
        }
        return imp;
      },
    };
  } catch (err) {
    zip.close();
    throw err;
  }
}

/**
 * Imports an X archive zip into a job: checks it is an X archive of the job's own account, keeps
 * the zip under DATA_DIR/imports/<sha256>.zip and adds its posts and DMs to the store by id, a
 * file at a time and a batch at a time. A second run of the same zip adds nothing; a run stopped
 * half-way is completed by running it again.
 */
export async function importArchive(opts: ImportOptions): Promise<ArchiveImport> {
  return (await prepareImport(opts)).run();
}

async function readAll(zip: Zip, imp: ArchiveImport, media: Map<string, string[]>, used: Counts, opts: ImportOptions): Promise<void> {
  const names = [...zip.entries.keys()].sort();
  let batch: ImportedRecord[] = [];
  let sinceProgress = 0;
  const flush = async () => {
    if (!batch.length) return;
    const records = batch;
    batch = [];
    const added = await opts.store.putImportedRecords(imp.jobId, records);
    // Which kind was added is not told per record; a batch holds one kind.
    if (records[0]!.kind === 'post') imp.imported.posts += added;
    else imp.imported.dms += added;
    sinceProgress += records.length;
    if (sinceProgress >= PROGRESS_EVERY) {
      sinceProgress = 0;
      await opts.store.saveImport(imp);
      opts.onProgress?.(imp);
    }
  };
  const add = async (r: ImportedRecord) => {
    if (batch.length && batch[0]!.kind !== r.kind) await flush();
    batch.push(r);
    if (batch.length >= BATCH) await flush();
  };

  // Long posts first: a post of tweets.js is matched with its full text as it streams past.
  const notes = new Map<string, ArchiveNote[]>();
  for (const name of names.filter((n) => FILES.notes.test(n))) {
    for await (const e of elementsOf<{ noteTweet?: ArchiveNote }>(zip, name)) {
      const n = e.noteTweet;
      const iso = n?.core?.text !== undefined && isoOf(n.createdAt);
      if (!n || !iso) continue;
      notes.set(iso.slice(0, 19), [...(notes.get(iso.slice(0, 19)) ?? []), n]);
    }
  }

  const postFiles = names.filter((n) => FILES.tweets.test(n) || FILES.deleted.test(n));
  for (const name of postFiles) {
    const deleted = FILES.deleted.test(name);
    for await (const element of elementsOf<unknown>(zip, name)) {
      const t = tweetOf(element);
      const iso = t && isoOf(t.created_at);
      if (!t || !iso) continue;
      imp.found.posts++;
      const note = noteFor(t, iso, notes);
      const data: PostData = { raw: element, file: name, zip: imp.fileName, media: postMedia(t, media.get(t.id_str)), ...(note ? { note } : {}) };
      if (deleted) data.deletedAt = t.deleted_at ?? '';
      for (const m of data.media) used.media.add(m.member);
      await add({ id: t.id_str, kind: 'post', createdAt: iso, importId: imp.importId, data: JSON.stringify(data) });
    }
  }
  await flush();

  const dmFiles = names.filter((n) => FILES.dms.test(n) || FILES.groupDms.test(n));
  for (const name of dmFiles) {
    const group = FILES.groupDms.test(name);
    for await (const e of elementsOf<{ dmConversation?: ArchiveConversation }>(zip, name)) {
      const conv = e.dmConversation;
      if (!conv?.conversationId || !Array.isArray(conv.messages)) continue;
      const participants = new Set<string>();
      for (const m of conv.messages) {
        const mc = m['messageCreate'] as ArchiveMessage | undefined;
        if (mc?.senderId) participants.add(mc.senderId);
        if (mc?.recipientId) participants.add(mc.recipientId);
        for (const key of ['joinConversation', 'participantsJoin']) {
          const j = m[key] as { participantsSnapshot?: string[]; userIds?: string[]; initiatingUserId?: string } | undefined;
          for (const id of [...(j?.participantsSnapshot ?? []), ...(j?.userIds ?? []), ...(j?.initiatingUserId ? [j.initiatingUserId] : [])]) participants.add(id);
        }
      }
      for (const m of conv.messages) {
        const mc = m['messageCreate'] as ArchiveMessage | undefined;
        const iso = mc?.id && mc.createdAt ? isoOf(mc.createdAt) : undefined;
        if (!mc || !iso) continue;
        imp.found.dms++;
        const files = media.get(mc.id) ?? [];
        const dmMedia = (mc.mediaUrls ?? []).flatMap((url) => {
          const n = baseName(url);
          const member = files.find((f) => (n ? f.endsWith(`-${n}`) : false)) ?? (files.length === 1 ? files[0] : undefined);
          return member ? [{ url, member }] : [];
        });
        for (const d of dmMedia) used.media.add(d.member);
        const data: DmData = { raw: m, file: name, zip: imp.fileName, conversationId: conv.conversationId, group, participants: [...participants], media: dmMedia };
        await add({ id: mc.id, kind: 'dm', createdAt: iso, importId: imp.importId, data: JSON.stringify(data) });
      }
    }
  }
  await flush();
}
