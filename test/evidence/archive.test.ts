import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import yauzl from 'yauzl';
import { createClients } from '../../src/composition';
import type { ArchiveBackend } from '../../src/evidence/backend';
import { BlobArchive } from '../../src/evidence/blobArchive';
import { exportZip } from '../../src/evidence/exportZip';
import { LocalArchive } from '../../src/evidence/localArchive';
import { listManifests, parseManifest, sha256 } from '../../src/evidence/manifest';
import { verifyArchive } from '../../src/evidence/verify';
import type { Item } from '../../src/ingest/item';
import { msalNetworkClientFor } from '../fakes/aad';
import type { FakeXPost } from '../fakes/xServer';
import { tempDir } from '../helpers/connector';
import { FAST_RETRY, startPipeline, type Pipeline } from '../helpers/pipeline';
import { ACCOUNT } from '../helpers/signIn';

/**
 * The archive copy (issue "Evidence"): every delivered item also lands in an archive the
 * organization owns, with a manifest per task chained to the job's previous one; verify finds
 * any change; export hands a period over as a zip.
 */
const ROOT = join(__dirname, '..', '..');
const OTHER = { id: '2400000000000000002', name: 'Fabrikam', username: 'fabrikam' };
const DAY = '2026-11-15';
let p: Pipeline;
let photo: Buffer;

function seed(): FakeXPost[] {
  p.x.addUser(OTHER);
  photo = randomBytes(2500);
  const url = p.x.addMediaFile('/media/evidence.jpg', photo, 'image/jpeg');
  const me = ACCOUNT.id;
  const posts: FakeXPost[] = [
    { id: '1500000000000000100', author_id: OTHER.id, text: 'Will Contoso answer?', created_at: '2026-11-14T08:00:00.000Z' },
    { id: '1500000000000000001', author_id: me, text: 'Plain post & more', created_at: `${DAY}T08:00:00.000Z`, like_count: 2 },
    { id: '1500000000000000002', author_id: me, text: 'With a photo', created_at: `${DAY}T09:00:00.000Z`, media: [{ media_key: '3_77', type: 'photo', url }] },
    {
      id: '1500000000000000003', author_id: me, text: '@fabrikam Yes, we will.', created_at: `${DAY}T10:00:00.000Z`,
      conversation_id: '1500000000000000100', in_reply_to_user_id: OTHER.id, referenced_tweets: [{ type: 'replied_to', id: '1500000000000000100' }],
    },
  ];
  p.x.addPosts(posts);
  return posts;
}

async function runTask(taskId: string, dirty: string[] | null = null, worker = p.worker): Promise<void> {
  await p.requestTask(taskId, `${DAY}T00:00:00Z`, `${DAY}T23:59:59Z`, dirty);
  expect(await worker.drain()).toBe(1);
}

async function allFiles(a: ArchiveBackend): Promise<string[]> {
  const out: string[] = [];
  for await (const f of a.list('')) out.push(f);
  return out.sort();
}

describe('the archive copy on a folder (DATA_DIR/archive)', () => {
  let archive: LocalArchive;
  beforeAll(async () => {
    p = await startPipeline();
    seed();
    archive = new LocalArchive(join(p.c.dataDir, 'archive'));
    await runTask('t-1');
  });
  afterAll(async () => {
    await p.close();
  });

  const folder = (id: string) => `job-1/items/${DAY}/${id}`;

  test('when a task delivers, then each item has its Item JSON byte for byte as uploaded, the raw X objects, and a message', async () => {
    const blobs = await p.blobs();
    expect(blobs).toHaveLength(3);
    for (const b of blobs) {
      const id = b.name.split('/').pop()!.replace('.json', '');
      expect((await archive.read(`${folder(id)}/item.json`))!.toString('utf8')).toBe(b.body);
    }
    const raw = JSON.parse((await archive.read(`${folder('1500000000000000003')}/raw.json`))!.toString('utf8'));
    // The record exactly as X served it (X escapes nothing here), with the objects it refers to.
    expect(raw.data).toMatchObject({ id: '1500000000000000003', text: '@fabrikam Yes, we will.', in_reply_to_user_id: OTHER.id });
    expect(raw.includes.tweets.map((t: { id: string }) => t.id)).toEqual(['1500000000000000100']);
    expect(raw.includes.users.map((u: { id: string }) => u.id).sort()).toEqual([ACCOUNT.id, OTHER.id].sort());
  });

  test('when a message is parsed back (mailparser), then it says what its Item says: sender, date, ids, threading, text and attachments byte for byte', async () => {
    const item = JSON.parse((await archive.read(`${folder('1500000000000000003')}/item.json`))!.toString('utf8')) as Item;
    const mail = await simpleParser((await archive.read(`${folder('1500000000000000003')}/message.eml`))!);
    expect(mail.from?.value[0]).toEqual({ name: `${ACCOUNT.name} (@${ACCOUNT.username})`, address: `${ACCOUNT.username}@x-archive.invalid` });
    expect(mail.date?.toISOString()).toBe(item.SentTimeUtc);
    expect(mail.messageId).toBe('<1500000000000000003@x-archive.invalid>');
    expect(mail.inReplyTo).toBe('<1500000000000000100@x-archive.invalid>');
    expect(mail.references).toBe('<1500000000000000100@x-archive.invalid>');
    expect(mail.subject).toBe(item.MessagePreviewText);
    expect(mail.text?.trim()).toBe(item.Content);

    const withPhoto = await simpleParser((await archive.read(`${folder('1500000000000000002')}/message.eml`))!);
    expect(withPhoto.attachments).toHaveLength(1);
    expect(withPhoto.attachments[0]!.filename).toBe('evidence.jpg');
    expect(Buffer.compare(withPhoto.attachments[0]!.content, photo)).toBe(0);
  });

  test('when the task is run again with the same posts, then no file is added; when an item changed, then a new version stands beside the old one', async () => {
    const before = await allFiles(archive);
    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't-1'))!, reported: false });
    await runTask('t-1');
    expect(await allFiles(archive)).toEqual(before);

    // A new like count, fetched again as a DirtyEntity by another task.
    p.x.addPosts([{ id: '1500000000000000001', author_id: ACCOUNT.id, text: 'Plain post & more', created_at: `${DAY}T08:00:00.000Z`, like_count: 40 }]);
    await runTask('t-2', ['1500000000000000001']);
    const after = await allFiles(archive);
    const added = after.filter((f) => !before.includes(f));
    expect(added.filter((f) => !f.startsWith('job-1/manifests/'))).toEqual(
      [`${folder('1500000000000000001')}/item.v2.json`, `${folder('1500000000000000001')}/raw.v2.json`].sort(),
    );
    expect(JSON.parse((await archive.read(`${folder('1500000000000000001')}/item.json`))!.toString()).NumOfLikes).toBe(2);
    expect(JSON.parse((await archive.read(`${folder('1500000000000000001')}/item.v2.json`))!.toString()).NumOfLikes).toBe(40);
  });

  test('when manifests are read, then each lists its files with their SHA-256 and chains to the previous one, and the task history carries its hash', async () => {
    const manifests = await listManifests(archive, 'job-1');
    expect(manifests).toHaveLength(2);
    const [first, second] = await Promise.all(manifests.map(async (m) => ({ bytes: (await archive.read(m))!, ...parseManifest((await archive.read(m))!.toString()) })));
    expect(first!.header).toMatchObject({ jobId: 'job-1', taskId: 't-1', window: { start: `${DAY}T00:00:00.000Z` }, previousManifestSha256: null });
    expect(second!.header).toMatchObject({ taskId: 't-2', previousManifestSha256: sha256(first!.bytes) });
    expect(first!.entries).toHaveLength(9);
    for (const e of first!.entries) expect(sha256((await archive.read(e.path))!)).toBe(e.sha256);
    expect(first!.entries.every((e) => e.source === 'timeline' && /^\d{4}-/.test(e.fetchedAt))).toBe(true);
    expect((await p.c.store.getTaskRun('job-1', 't-1'))!.manifestSha256).toBe(sha256(first!.bytes));
    expect((await p.c.store.getTaskRun('job-1', 't-2'))!.manifestSha256).toBe(sha256(second!.bytes));
  });

  test('when nothing was touched, then verify passes', async () => {
    expect(await verifyArchive(archive)).toMatchObject({ ok: true, altered: [], missing: [], unlisted: [], brokenChain: [], manifests: 2 });
  });

  describe('verify finds each kind of tampering', () => {
    let copy: LocalArchive;
    beforeEach(async () => {
      // Tamper with a copy, so each case starts from the untouched archive.
      const dir = tempDir('archive-copy-');
      copy = new LocalArchive(dir);
      for (const f of await allFiles(archive)) await copy.create(f, (await archive.read(f))!, '');
    });
    afterEach(() => rmSync(copy.root, { recursive: true, force: true }));
    const file = (rel: string) => join(copy.root, ...rel.split('/'));

    test('one flipped byte', async () => {
      const target = file(`${folder('1500000000000000002')}/message.eml`);
      const bytes = readFileSync(target);
      bytes[100] = bytes[100]! ^ 0x01;
      writeFileSync(target, bytes);
      expect(await verifyArchive(copy)).toMatchObject({ ok: false, altered: [`${folder('1500000000000000002')}/message.eml`], missing: [], unlisted: [], brokenChain: [] });
    });

    test('one deleted file', async () => {
      rmSync(file(`${folder('1500000000000000003')}/raw.json`));
      expect(await verifyArchive(copy)).toMatchObject({ ok: false, altered: [], missing: [`${folder('1500000000000000003')}/raw.json`], unlisted: [], brokenChain: [] });
    });

    test('one added file', async () => {
      await copy.create(`${folder('1500000000000000003')}/note.txt`, Buffer.from('added later'), '');
      expect(await verifyArchive(copy)).toMatchObject({ ok: false, altered: [], missing: [], unlisted: [`${folder('1500000000000000003')}/note.txt`], brokenChain: [] });
    });

    test('one removed manifest', async () => {
      const [first] = await listManifests(copy, 'job-1');
      rmSync(file(first!));
      const r = await verifyArchive(copy);
      expect(r.ok).toBe(false);
      expect(r.brokenChain).toHaveLength(1);
      expect(r.brokenChain[0]!.reason).toMatch(/names a previous manifest/);
      // The files only it listed (the first version of the post whose likes changed) are now in no manifest.
      expect(r.unlisted).toEqual([`${folder('1500000000000000001')}/item.json`, `${folder('1500000000000000001')}/raw.json`]);
    });

    test('one edited manifest (a file swapped together with its listed hash)', async () => {
      const [first] = await listManifests(copy, 'job-1');
      const target = `${folder('1500000000000000001')}/item.json`;
      const forged = Buffer.from('{"forged":true}');
      writeFileSync(file(target), forged);
      const text = readFileSync(file(first!), 'utf8');
      const entry = parseManifest(text).entries.find((e) => e.path === target)!;
      writeFileSync(file(first!), text.replace(entry.sha256, sha256(forged)).replace(`"bytes":${entry.bytes}`, `"bytes":${forged.length}`));
      const r = await verifyArchive(copy);
      expect(r).toMatchObject({ ok: false, altered: [], missing: [], unlisted: [] });
      expect(r.brokenChain.map((b) => b.manifest)).toEqual([(await listManifests(copy, 'job-1'))[1]]);
    });
  });

  test('when verify runs as the CLI, then it prints the problems and exits 1; on an untouched archive it exits 0', async () => {
    const run = (dataDir: string) =>
      promisify(execFile)(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'verify'], { env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir } }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const clean = await run(p.c.dataDir);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^OK: .*1 job\(s\), 2 manifest\(s\), \d+ file\(s\) checked; 0 altered, 0 missing, 0 unlisted, 0 chain break\(s\)$/m);
    expect(clean.out).toMatch(/^Audit log: \d+ entries, chain intact; last entry \d+, SHA-256 [0-9a-f]{64}$/m);
    // The run is on the record.
    const [lastEntry] = await p.c.store.listAudit({ order: 'newest', limit: 1 });
    expect(lastEntry).toMatchObject({ kind: 'verify.run', details: { ok: true, manifests: 2, altered: 0, auditChainIntact: true } });
    const extra = join(p.c.dataDir, 'archive', 'job-1', 'items', DAY, 'stray.txt');
    appendFileSync(extra, 'x');
    try {
      const dirty = await run(p.c.dataDir);
      expect(dirty.code).toBe(1);
      expect(dirty.out).toContain(`UNLISTED  job-1/items/${DAY}/stray.txt`);
      expect(dirty.out).toMatch(/^PROBLEMS FOUND: /m);
    } finally {
      rmSync(extra);
    }

    // An edited audit entry (someone with write access to the store, past its triggers) fails verify too.
    const db = new Database(join(p.c.dataDir, 'connector.db'));
    try {
      db.exec('DROP TRIGGER IF EXISTS audit_log_no_update');
      db.prepare("UPDATE audit_log SET details = json_set(details, '$.items', 999) WHERE kind = 'task.reported'").run();
    } finally {
      db.close();
    }
    const edited = await run(p.c.dataDir);
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(/^AUDIT {5}entry \d+: entry \d+ was changed: its content does not match its hash$/m);
    expect(edited.out).toMatch(/^PROBLEMS FOUND: /m);
  });

  test('when a period is exported, then the zip holds exactly its items (eml, Item JSON, raw), the manifests listing them, and an index', async () => {
    const out = join(tempDir('export-'), 'export.zip');
    const result = await exportZip(archive, { jobId: 'job-1', from: DAY, to: DAY, out, auditLines: async function* () { yield '{"seq":1}'; } });
    expect(result).toMatchObject({ items: 3, manifests: 2 });
    const names = await zipNames(out);
    const items = (await allFiles(archive)).filter((f) => f.startsWith('job-1/items/'));
    expect(names.filter((n) => n.startsWith('job-1/items/')).sort()).toEqual(items);
    expect(names).toEqual(expect.arrayContaining(['index.html', 'audit.jsonl', ...(await listManifests(archive, 'job-1'))]));
    const index = await zipEntry(out, 'index.html');
    expect(index).toContain('3 messages');
    expect(index).toContain(`href="job-1/items/${DAY}/1500000000000000002/message.eml"`);
    // Another period: nothing of this one.
    const none = join(tempDir('export-'), 'none.zip');
    expect(await exportZip(archive, { jobId: 'job-1', from: '2026-11-16', to: '2026-11-30', out: none })).toMatchObject({ items: 0, files: 0, manifests: 0 });
    expect(await zipNames(none)).toEqual(['index.html']);
  });
});

function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => (names.push(e.fileName), zip.readEntry()));
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function zipEntry(file: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== name) return zip.readEntry();
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => (resolve(Buffer.concat(chunks).toString('utf8')), zip.close()));
        });
      });
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('the archive copy in a blob container (Azurite)', () => {
  let archive: BlobArchive;
  beforeAll(async () => {
    p = await startPipeline();
    seed();
    archive = await BlobArchive.open(p.azurite.connectionString, `archive-${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await p.close();
  });

  test('when a task delivers to a blob archive, then the same files and manifest are there, a re-run adds none, and verify finds a flipped byte', async () => {
    const clients = createClients(p.c.config, { networkClient: msalNetworkClientFor(p.aad), retry: FAST_RETRY });
    const worker = p.newWorker({ clients: { ...clients, archive: async () => archive } });
    await runTask('t-blob', null, worker);
    const files = await allFiles(archive);
    expect(files.filter((f) => f.endsWith('/item.json'))).toHaveLength(3);
    expect(files.filter((f) => f.startsWith('job-1/manifests/'))).toHaveLength(1);
    expect(await verifyArchive(archive)).toMatchObject({ ok: true, files: 9 });

    await p.c.store.recordTaskRun({ ...(await p.c.store.getTaskRun('job-1', 't-blob'))!, reported: false });
    await runTask('t-blob', null, worker);
    expect(await allFiles(archive)).toEqual(files);

    // Overwriting is what the archive never does; an attacker with the key can: verify sees it.
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const target = files.find((f) => f.endsWith('/raw.json'))!;
    const blob = BlobServiceClient.fromConnectionString(p.azurite.connectionString).getContainerClient(archive.where.replace('blob container ', '')).getBlockBlobClient(target);
    const bytes = (await blob.downloadToBuffer());
    bytes[0] = bytes[0]! ^ 0x20;
    await blob.upload(bytes, bytes.length);
    expect(await verifyArchive(archive)).toMatchObject({ ok: false, altered: [target] });
    expect(await archive.create(target, Buffer.from('again'), 'text/plain')).toBe('exists');
  });
});
