import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { TransientError } from '../errors';
import type { Logger } from '../logger';
import type { SpooledPage } from './sources/source';

/** Appends lines to a file in 64 KiB writes (one write per line costs more than the line), waiting when the stream is full. */
class LineWriter {
  private readonly out: WriteStream;
  private pending = '';
  /** The stream's error (the file could not be opened or written): the next call throws it. */
  private failed: Error | undefined;

  constructor(readonly file: string) {
    this.out = createWriteStream(file, { flags: 'w' });
    // Without a listener, an error while no write is waiting (the open itself) would end the process.
    this.out.on('error', (err) => (this.failed ??= err));
  }

  private check(): void {
    if (this.failed) throw new TransientError(`The task's spool file ${this.file} cannot be written: ${this.failed.message}`, { cause: this.failed });
  }

  async write(line: string): Promise<void> {
    this.check();
    this.pending += `${line}\n`;
    if (this.pending.length < 64 * 1024) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.out.write(chunk)) await this.until('drain');
  }

  async finish(): Promise<void> {
    this.check();
    if (this.pending) this.out.write(this.pending);
    this.pending = '';
    this.out.end();
    if (!this.out.writableFinished) await this.until('finish');
  }

  private async until(event: 'drain' | 'finish'): Promise<void> {
    try {
      await once(this.out, event);
    } catch {
      // once() rejects on the stream's error, which the listener above has kept.
    }
    this.check();
  }

  destroy(): void {
    this.out.destroy();
  }
}

/**
 * Reads a file line by line, one chunk at a time as the caller asks: unlike readline's async
 * iterator, nothing is read far ahead, so a 200,000-post spool never sits in memory.
 */
export async function* readLines(file: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line) yield line;
  }
  if (rest) yield rest;
}

/**
 * A task's working files under DATA_DIR/spool/{jobId}: the fetched pages (JSON lines), so that
 * counting a day's items before uploading never needs every post in memory, and the report's
 * itemMetadata entries, streamed to the Event API at the end.
 */
export class Spool {
  private constructor(
    private readonly pagesOut: LineWriter,
    private readonly metadataOut: LineWriter,
  ) {}

  private static files(dataDir: string, jobId: string, taskId: string): { dir: string; pages: string; metadata: string } {
    const dir = join(dataDir, 'spool', jobId);
    return { dir, pages: join(dir, `${taskId}.pages.jsonl`), metadata: join(dir, `${taskId}.metadata.jsonl`) };
  }

  static async create(dataDir: string, jobId: string, taskId: string): Promise<Spool> {
    const f = Spool.files(dataDir, jobId, taskId);
    await mkdir(f.dir, { recursive: true });
    return new Spool(new LineWriter(f.pages), new LineWriter(f.metadata));
  }

  /** Removes what a run that stopped before cleaning up left of the task's spool. */
  static async discard(dataDir: string, jobId: string, taskId: string, log: Logger): Promise<void> {
    const f = Spool.files(dataDir, jobId, taskId);
    await removeFiles([f.pages, f.metadata], log);
  }

  writePage(page: SpooledPage): Promise<void> {
    return this.pagesOut.write(JSON.stringify(page));
  }

  finishPages(): Promise<void> {
    return this.pagesOut.finish();
  }

  async *pages(): AsyncGenerator<SpooledPage> {
    for await (const line of readLines(this.pagesOut.file)) yield JSON.parse(line) as SpooledPage;
  }

  /** One serialized ItemMetadata entry per uploaded item. */
  writeMetadata(json: string): Promise<void> {
    return this.metadataOut.write(json);
  }

  /** The metadata file, closed, with its size: the report body is built from it. */
  async metadata(): Promise<{ file: string; bytes: number }> {
    await this.metadataOut.finish();
    return { file: this.metadataOut.file, bytes: (await stat(this.metadataOut.file)).size };
  }

  async remove(log: Logger): Promise<void> {
    this.pagesOut.destroy();
    this.metadataOut.destroy();
    await removeFiles([this.pagesOut.file, this.metadataOut.file], log);
  }
}

/**
 * Working files are removed on a best-effort basis: one that cannot be (a directory in its place,
 * a read-only disk) is logged, and must not keep a finished task from leaving the queue.
 */
async function removeFiles(files: string[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(files.map((file) => rm(file, { force: true })));
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') log.warn({ file: files[i], err: (r.reason as Error)?.message }, 'a spool file could not be removed');
  }
}
