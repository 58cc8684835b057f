/**
 * The evidence scenario (`npm run bench -- --only=evidence`, and the end of a full run): builds an
 * archive copy of EVIDENCE_ITEMS items (default 100,000) through the real archive sink, as tasks
 * of 5,000 items would, then times `verify` and `export` of the whole of it as an admin runs them
 * (`node dist/src/cli.js …`, a process each) and reports their peak RSS. EVIDENCE_ITEMS sets the
 * size; EVIDENCE_KEEP=1 keeps the archive's folder for a look afterwards.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TweetV2 } from 'twitter-api-v2';
import { LocalArchive } from '../src/evidence/localArchive';
import { Includes, ItemBody, mapPost } from '../src/ingest/item';
import { ArchiveCopySink } from '../src/ingest/sinks/archiveCopy';
import { runCli } from './cliRun';
import type { TaskMessage } from '../src/store/types';

const PER_TASK = 5000;
const DAY_MS = 24 * 3600 * 1000;

function post(i: number): TweetV2 {
  const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3000) * DAY_MS + (i % 3000) * 1000).toISOString();
  return {
    id: String(1600000000000000000n + BigInt(i)),
    text: `Evidence bench post ${i}: a plain post of about the length most are, with a few words & a link https://example.com/${i}`,
    created_at: at,
    author_id: '1500000000000000000',
    conversation_id: String(1600000000000000000n + BigInt(i)),
    edit_history_tweet_ids: [String(1600000000000000000n + BigInt(i))],
    public_metrics: { like_count: i % 17, retweet_count: 0, reply_count: 0, quote_count: 0, impression_count: 0, bookmark_count: 0 },
  } as TweetV2;
}

/** Writes the archive as the worker's archive sink would, task by task. */
async function buildArchive(root: string, items: number, progress: (s: string) => void): Promise<number> {
  const archive = new LocalArchive(join(root, 'archive'));
  const includes = { users: [{ id: '1500000000000000000', name: 'Contoso', username: 'contoso' }] };
  const inc = new Includes(includes);
  const started = performance.now();
  for (let t = 0; t * PER_TASK < items; t++) {
    const first = t * PER_TASK;
    const last = Math.min(items, first + PER_TASK) - 1;
    const task: TaskMessage = {
      jobId: 'bench-job',
      taskId: `task-${String(t).padStart(4, '0')}`,
      startTime: post(first).created_at!,
      endTime: post(last).created_at!,
      dirtyEntities: null,
      blobSasUri: 'https://bench.blob.core.windows.net/c',
      enqueuedAt: new Date().toISOString(),
    };
    const sink = new ArchiveCopySink(task, archive, root);
    for (let i = first; i <= last; i++) {
      const record = post(i);
      const item = mapPost(record, inc, { id: '1500000000000000000', name: 'Contoso' }, () => null);
      await sink.put({ item, body: new ItemBody().toBuffer(item), skipped: 0, source: 'timeline', record, includes, fetchedAt: new Date().toISOString() });
    }
    await sink.finish();
    if (t % 4 === 3) progress(`evidence: ${last + 1} items archived`);
  }
  return (performance.now() - started) / 1000;
}

export async function runEvidenceBench(out: (s?: string) => void, progress: (s: string) => void): Promise<void> {
  const items = Number(process.env.EVIDENCE_ITEMS ?? 100_000);
  const root = mkdtempSync(join(os.tmpdir(), 'xconn-evidence-'));
  try {
    progress(`evidence: building an archive of ${items} items`);
    const buildSeconds = await buildArchive(root, items, progress);
    const env = { DATA_DIR: root, ARCHIVE: 'on' };
    progress('evidence: verify');
    const verify = await runCli(['verify'], env);
    if (verify.code !== 0) throw new Error(`verify did not pass on an untouched archive:\n${verify.stdout.slice(-2000)}`);
    progress('evidence: export');
    const zip = join(root, 'export.zip');
    const exported = await runCli(['export', '--job', 'bench-job', '--from', '2026-01-01', '--to', '2026-12-31', '--out', zip], env);
    if (exported.code !== 0) throw new Error(`export failed:\n${exported.stdout.slice(-2000)}`);
    const zipMb = statSync(zip).size / 1e6;
    out('');
    out(`Evidence: an archive of ${items.toLocaleString('en-US')} items (${(items * 3).toLocaleString('en-US')} files, ${Math.ceil(items / PER_TASK)} manifests) built through the archive sink in ${buildSeconds.toFixed(1)} s (${Math.round(items / buildSeconds)} items/s)`);
    out(`| command | seconds | items/s | peak RSS MB |`);
    out(`|---|---|---|---|`);
    out(`| verify (every file's SHA-256, the chain, unlisted files) | ${verify.seconds.toFixed(1)} | ${Math.round(items / verify.seconds)} | ${verify.peakRssMb.toFixed(0)} |`);
    out(`| export of the whole archive (zip of ${zipMb.toFixed(0)} MB) | ${exported.seconds.toFixed(1)} | ${Math.round(items / exported.seconds)} | ${exported.peakRssMb.toFixed(0)} |`);
    out(verify.stdout.split('\n').find((l) => l.startsWith('OK:')) ?? verify.stdout.trim().split('\n').at(-1) ?? '');
  } finally {
    if (!process.env.EVIDENCE_KEEP) rmSync(root, { recursive: true, force: true });
    else out(`kept ${root}`);
  }
}
