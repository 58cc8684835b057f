import { ZipArchiveOutputStream } from 'compress-commons';

/**
 * archiver's zip writer (compress-commons) writes each central-directory record as about twenty
 * small writes, for every entry at once when the zip is finished, without waiting for the stream
 * to drain: an export of 100,000 items (300,000 files) then held some 2 GB of small buffers at its
 * end. This writes each record as one buffer, the same bytes: the stream's offset counts the same
 * lengths, so the directory's offsets and size are unchanged.
 */
type Writer = { write(chunk: Buffer | string, cb?: unknown): boolean };
const proto = (ZipArchiveOutputStream as unknown as { prototype: Record<string, unknown> & { __oneWritePerRecord?: boolean } }).prototype;

if (!proto.__oneWritePerRecord) {
  const writeRecord = proto['_writeCentralFileHeader'] as (this: Writer, entry: unknown) => void;
  proto['_writeCentralFileHeader'] = function (this: Writer, entry: unknown): void {
    const parts: Buffer[] = [];
    const write = this.write;
    // A name comes as a string; archive paths are ASCII (ids, days, encoded item ids), one byte a character.
    this.write = (chunk: Buffer | string) => (parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk), true);
    try {
      writeRecord.call(this, entry);
    } finally {
      this.write = write;
    }
    this.write(Buffer.concat(parts));
  };
  proto.__oneWritePerRecord = true;
}
