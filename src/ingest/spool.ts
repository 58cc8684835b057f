import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PostPage } from './xPosts';

/**
 * A task's fetched pages on disk (JSON lines under DATA_DIR/spool), so that counting a day's
 * items before uploading never needs every post in memory: pass 1 writes and counts, pass 2
 * reads back one page at a time.
 */
export class Spool {
  private out: WriteStream | undefined;

  private constructor(readonly file: string) {}

  static async create(dataDir: string, jobId: string, taskId: string): Promise<Spool> {
    const dir = join(dataDir, 'spool', jobId);
    await mkdir(dir, { recursive: true });
    const spool = new Spool(join(dir, `${taskId}.jsonl`));
    spool.out = createWriteStream(spool.file, { flags: 'w' });
    return spool;
  }

  async write(page: PostPage): Promise<void> {
    if (!this.out!.write(`${JSON.stringify(page)}\n`)) await once(this.out!, 'drain');
  }

  async finish(): Promise<void> {
    const out = this.out!;
    out.end();
    if (!out.writableFinished) await once(out, 'finish');
  }

  async *pages(): AsyncGenerator<PostPage> {
    const lines = createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line) yield JSON.parse(line) as PostPage;
    }
  }

  async remove(): Promise<void> {
    this.out?.destroy();
    await rm(this.file, { force: true });
  }
}
