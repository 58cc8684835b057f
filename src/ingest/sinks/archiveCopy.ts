import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveBackend } from '../../evidence/backend';
import { buildEml } from '../../evidence/eml';
import { LocalArchive } from '../../evidence/localArchive';
import { listManifests, MANIFEST_FORMAT, manifestPath, parseManifest, sha256, type ManifestEntry, type ManifestHeader } from '../../evidence/manifest';
import { rawObjectsOf, usernamesOf } from '../../evidence/raw';
import { writeVersioned } from '../../evidence/versioned';
import type { TaskMessage } from '../../store/types';
import { CONNECTOR_VERSION } from '../../version';
import type { Item } from '../item';
import type { DeliveredItem, Sink, SinkReceipt } from './sink';

const FLUSH_LINES = 1000;

/** `<job>/items/<UTC day of SentTimeUtc>/<item id>/`: where one item's files live. */
export function itemFolder(jobId: string, item: Pick<Item, 'Id' | 'SentTimeUtc'>): string {
  return `${jobId}/items/${item.SentTimeUtc.slice(0, 10)}/${encodeURIComponent(item.Id)}/`;
}

/**
 * The archive copy the organization owns: for every delivered item, the Item JSON byte for byte
 * as uploaded, the raw X objects it was made from and an RFC 5322 message, never overwritten;
 * and per task a manifest listing every file with its SHA-256, chained to the job's previous one.
 */
export class ArchiveCopySink implements Sink {
  readonly name = 'archiveCopy';
  private readonly linesFile: string;
  private pending: string[] = [];

  constructor(
    private readonly task: TaskMessage,
    private readonly backend: ArchiveBackend,
    spoolDir: string,
  ) {
    this.linesFile = join(spoolDir, 'spool', task.jobId, `${task.taskId}.manifest.jsonl`);
  }

  async put(d: DeliveredItem): Promise<void> {
    // The Item as uploaded: its attachments' Content is in the bytes, not in the mapped object.
    const item = JSON.parse(d.body.toString('utf8')) as Item;
    const raw = d.raw !== undefined ? { data: d.raw, includes: {} } : rawObjectsOf(d.record, d.includes);
    const folder = itemFolder(this.task.jobId, item);
    const files: [string, Buffer, string][] = [
      ['item.json', d.body, 'application/json; charset=utf-8'],
      ['raw.json', Buffer.from(JSON.stringify(raw), 'utf8'), 'application/json; charset=utf-8'],
      ['message.eml', await buildEml({ item, usernames: usernamesOf(raw) }), 'message/rfc822'],
    ];
    const written: string[] = [];
    for (const [name, bytes, type] of files) {
      const { path } = await writeVersioned(this.backend, folder + name, bytes, type);
      written.push(path);
      const entry: ManifestEntry = { path, sha256: sha256(bytes), bytes: bytes.length, itemId: item.Id, source: d.provenance ?? d.source, fetchedAt: d.fetchedAt };
      this.pending.push(JSON.stringify(entry));
    }
    // The Archive view's search (a folder's index; a blob container is listed instead).
    if (this.backend instanceof LocalArchive) this.backend.index?.add(this.task.jobId, item, { itemPath: written[0]!, emlPath: written[2]! });
    if (this.pending.length >= FLUSH_LINES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.pending.length) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    await mkdir(join(this.linesFile, '..'), { recursive: true });
    await appendFile(this.linesFile, text);
  }

  /** Writes the task's manifest (or finds that a re-run lists exactly what its last one did). */
  async finish(): Promise<SinkReceipt> {
    await this.flush();
    const entries = await readFile(this.linesFile, 'utf8').catch(() => '');
    await rm(this.linesFile, { force: true });
    const manifests = await listManifests(this.backend, this.task.jobId);
    const same = await this.sameAsLastOfTask(manifests, entries);
    if (same) return { manifestSha256: same };
    const previous = manifests.at(-1);
    const previousBytes = previous ? await this.backend.read(previous) : undefined;
    const createdAt = new Date().toISOString();
    const header: ManifestHeader = {
      format: MANIFEST_FORMAT,
      jobId: this.task.jobId,
      taskId: this.task.taskId,
      window: { start: this.task.startTime, end: this.task.endTime },
      connectorVersion: CONNECTOR_VERSION,
      createdAt,
      previousManifestSha256: previousBytes ? sha256(previousBytes) : null,
    };
    const bytes = Buffer.from(`${JSON.stringify(header)}\n${entries}`, 'utf8');
    await this.backend.create(manifestPath(this.task.jobId, this.task.taskId, createdAt), bytes, 'application/x-ndjson');
    return { manifestSha256: sha256(bytes) };
  }

  /** A re-run whose files are exactly those its task's last manifest lists adds no manifest: that one's hash stands. */
  private async sameAsLastOfTask(manifests: string[], entries: string): Promise<string | undefined> {
    const key = (lines: ManifestEntry[]) => lines.map((e) => `${e.path} ${e.sha256}`).sort().join('\n');
    const mine = key(entries.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestEntry));
    for (const path of [...manifests].reverse()) {
      const bytes = await this.backend.read(path);
      if (!bytes) continue;
      const parsed = parseManifest(bytes.toString('utf8'));
      if (parsed.header.taskId !== this.task.taskId) continue;
      return key(parsed.entries) === mine ? sha256(bytes) : undefined;
    }
    return undefined;
  }
}
