/**
 * The import scenario (`npm run bench -- --only=import`): writes an X archive zip of IMPORT_POSTS
 * posts (default 100,000, in tweets.js and tweets-part1.js) and IMPORT_DMS direct messages
 * (default 10,000, in conversations of 10), in the layout of test/fakes/xArchive.ts, then times
 * `node dist/src/cli.js import-archive` as an admin runs it and reports its peak RSS (goal ≤ 300 MB).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { runCli } from './cliRun';
import { loadConfig } from '../src/credentials';
import { openStore } from '../src/store';

const ACCOUNT = '1500000000000000001';
const TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
const API_SECRET_KEY = 'bench-import-secret-0123456789';
const X_EPOCH = 1288834974657n;
const START = Date.UTC(2015, 0, 1);

const snowflake = (ms: number, seq: number) => (((BigInt(ms) - X_EPOCH) << 22n) + BigInt(seq)).toString();
const archiveDate = (ms: number) => {
  const [wd, day, mon, year, time] = new Date(ms).toUTCString().replace(',', '').split(' ');
  return `${wd} ${mon} ${day} ${time} +0000 ${year}`;
};

/** A `window.YTD.<name>.partN = [ … ]` file, element by element: the bench never holds it whole either. */
function ytdStream(name: string, part: number, count: number, element: (i: number) => unknown): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i === 0) this.push(`window.YTD.${name}.part${part} = [ `);
      const until = Math.min(count, i + 500);
      const chunk: string[] = [];
      for (; i < until; i++) chunk.push(`${i ? ',\n' : ''}${JSON.stringify(element(i), null, 2)}`);
      if (chunk.length) this.push(chunk.join(''));
      if (i >= count) {
        this.push(' ]');
        this.push(null);
      }
    },
  });
}

function tweet(n: number) {
  const ms = START + n * 60_000;
  const id = snowflake(ms, n % 2048);
  const reply = n % 5 === 4;
  return {
    tweet: {
      id_str: id,
      id,
      created_at: archiveDate(ms),
      full_text: `Bench post ${n}: a plain post of about the length most are, with a few words &amp; a link https://t.co/b${n}`,
      favorite_count: String(n % 17),
      retweet_count: '0',
      lang: 'en',
      entities: { urls: [{ url: `https://t.co/b${n}`, expanded_url: `https://example.com/${n}`, display_url: `example.com/${n}`, indices: ['80', '103'] }], user_mentions: [], hashtags: [] },
      ...(reply ? { in_reply_to_status_id_str: snowflake(ms - 60_000, (n - 1) % 2048), in_reply_to_user_id_str: ACCOUNT } : {}),
      edit_info: { initial: { editTweetIds: [id], editableUntil: new Date(ms + 3_600_000).toISOString(), editsRemaining: '5', isEditEligible: false } },
    },
  };
}

function conversation(c: number, perConversation: number) {
  const other = String(42 + c);
  return {
    dmConversation: {
      conversationId: `${other}-${ACCOUNT}`,
      messages: Array.from({ length: perConversation }, (_, k) => {
        const ms = START + (c * perConversation + k) * 600_000;
        const mine = k % 2 === 0;
        return { messageCreate: { recipientId: mine ? other : ACCOUNT, reactions: [], urls: [], text: `Message ${k} of conversation ${c}`, mediaUrls: [], senderId: mine ? ACCOUNT : other, id: snowflake(ms, 2048 + k), createdAt: new Date(ms).toISOString() } };
      }),
    },
  };
}

async function writeBenchArchive(path: string, posts: number, dms: number): Promise<void> {
  const zip = new yazl.ZipFile();
  const text = (s: string) => Buffer.from(s, 'utf8');
  zip.addBuffer(text(`window.YTD.account.part0 = ${JSON.stringify([{ account: { accountId: ACCOUNT, username: 'contoso', accountDisplayName: 'Contoso' } }])}`), 'data/account.js');
  zip.addBuffer(text(`window.__THAR_CONFIG = ${JSON.stringify({ userInfo: { accountId: ACCOUNT, userName: 'contoso' } })}`), 'data/manifest.js');
  const half = Math.ceil(posts / 2);
  zip.addReadStream(ytdStream('tweets', 0, half, (i) => tweet(i)), 'data/tweets.js');
  zip.addReadStream(ytdStream('tweets', 1, posts - half, (i) => tweet(half + i)), 'data/tweets-part1.js');
  const per = 10;
  zip.addReadStream(ytdStream('direct_messages', 0, Math.ceil(dms / per), (c) => conversation(c, Math.min(per, dms - c * per))), 'data/direct-messages.js');
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(createWriteStream(path)).on('finish', resolve).on('error', reject));
}

const runImport = (args: string[], env: Record<string, string>) => runCli(['import-archive', ...args], env);

export async function runImportBench(out: (s?: string) => void, progress: (s: string) => void): Promise<void> {
  const posts = Number(process.env.IMPORT_POSTS ?? 100_000);
  const dms = Number(process.env.IMPORT_DMS ?? 10_000);
  const tmp = mkdtempSync(join(os.tmpdir(), 'xconn-import-bench-'));
  try {
    const zipPath = join(tmp, 'twitter-archive.zip');
    progress(`import: writing an archive of ${posts} posts and ${dms} DMs`);
    await writeBenchArchive(zipPath, posts, dms);
    const env = { DATA_DIR: join(tmp, 'data'), TENANT_ID, API_SECRET_KEY };
    const { config } = loadConfig({ ...env });
    const store = await openStore(config);
    await store.saveJobAuthorization('job-1', { accountId: ACCOUNT, accountUsername: 'contoso', accessToken: 'bench-token', accessSecret: 'bench-secret' });
    await store.close();
    progress('import: npm run import-archive');
    const run = await runImport(['--job', 'job-1', zipPath], env);
    if (run.code !== 0) throw new Error(`import-archive failed (${run.code}): ${run.stderr}`);
    const again = await runImport(['--job', 'job-1', zipPath], env);
    const mb = statSync(zipPath).size / 1e6;
    out('');
    out(`Import: an X archive of ${posts.toLocaleString('en-US')} posts and ${dms.toLocaleString('en-US')} DMs (${mb.toFixed(1)} MB zip) into the SQLite store (DATA_DIR), by \`node dist/src/cli.js import-archive\``);
    out(`| run | seconds | records/s | peak RSS MB |`);
    out(`|---|---|---|---|`);
    out(`| first import (every record added) | ${run.seconds.toFixed(1)} | ${Math.round((posts + dms) / run.seconds)} | ${run.peakRssMb.toFixed(0)} |`);
    out(`| the same zip again (nothing added) | ${again.seconds.toFixed(1)} | ${Math.round((posts + dms) / again.seconds)} | ${again.peakRssMb.toFixed(0)} |`);
    out(`Goal: peak RSS ≤ 300 MB — ${Math.max(run.peakRssMb, again.peakRssMb) <= 300 ? 'met' : 'NOT met'}. ${run.stdout.trim().split('\n').pop() ?? ''}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
