import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** An open zip: its members by name, each read as a stream (the central directory is read once). */
export class Zip {
  private constructor(
    private readonly file: yauzl.ZipFile,
    readonly entries: Map<string, yauzl.Entry>,
  ) {}

  static async open(path: string): Promise<Zip> {
    const file = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip))),
    );
    const entries = new Map<string, yauzl.Entry>();
    await new Promise<void>((resolve, reject) => {
      file.on('entry', (e: yauzl.Entry) => {
        if (!e.fileName.endsWith('/')) entries.set(e.fileName, e);
        file.readEntry();
      });
      file.once('end', () => resolve());
      file.once('error', reject);
      file.readEntry();
    });
    return new Zip(file, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  stream(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) return Promise.reject(new Error(`The archive has no ${name}`));
    return new Promise((resolve, reject) => this.file.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s))));
  }

  /** A member's bytes, or undefined when it is larger than maxBytes (or absent). */
  async read(name: string, maxBytes = Infinity): Promise<Buffer | undefined> {
    const entry = this.entries.get(name);
    if (!entry || entry.uncompressedSize > maxBytes) return undefined;
    const chunks: Buffer[] = [];
    for await (const c of await this.stream(name)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.file.close();
  }
}
