import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArchiveBackend } from './backend';
import type { ArchiveCatalog } from './catalog';
import type { ArchivedItemRow, ItemQuery, SearchIndex } from './searchIndex';

/** The archive in a folder. A file appears whole or not at all: written aside, then linked into place (link never replaces). */
export class LocalArchive implements ArchiveBackend, ArchiveCatalog {
  readonly searchNeedsDay = false;

  /** index: the Archive view's FTS5 index of this folder (DATA_DIR/archive-index.db). */
  constructor(
    readonly root: string,
    readonly index?: SearchIndex,
  ) {}

  async days(jobId: string): Promise<{ day: string; items: number }[]> {
    return this.index?.days(jobId) ?? [];
  }

  async find(query: ItemQuery): Promise<ArchivedItemRow[]> {
    return this.index?.find(query) ?? [];
  }

  get where(): string {
    return this.root;
  }

  private full(path: string): string {
    if (path.split('/').some((part) => part === '..' || part === '')) throw new Error(`Not an archive path: ${path}`);
    return join(this.root, ...path.split('/'));
  }

  async create(path: string, bytes: Buffer, _contentType?: string): Promise<'created' | 'exists'> {
    const target = this.full(path);
    await mkdir(dirname(target), { recursive: true });
    const aside = `${target}.${randomBytes(6).toString('hex')}.partial`;
    await writeFile(aside, bytes, { flag: 'wx' });
    try {
      await link(aside, target);
      return 'created';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw err;
    } finally {
      await unlink(aside).catch(() => undefined);
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.full(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const start = prefix ? this.full(prefix.replace(/\/+$/, '')) : this.root;
    let entries;
    try {
      entries = await readdir(start, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile() || e.name.endsWith('.partial')) continue;
      yield relative(this.root, join(e.parentPath, e.name)).split(sep).join('/');
    }
  }
}
