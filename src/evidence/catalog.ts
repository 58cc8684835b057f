import type { Item } from '../ingest/item';
import type { ArchiveBackend } from './backend';
import type { ArchivedItemRow, ItemQuery } from './searchIndex';

/**
 * What the Archive view asks of an archive copy: the days a job has, its items (of a day, or
 * matching words), and a file. The embedded store answers from its FTS5 index; a blob container
 * has none, so it is searched a day at a time, reading that day's items.
 */
export interface ArchiveCatalog {
  /** True when a search must name a day (a blob container, read a day at a time). */
  readonly searchNeedsDay: boolean;
  days(jobId: string): Promise<{ day: string; items: number }[]>;
  find(query: ItemQuery): Promise<ArchivedItemRow[]>;
  read(path: string): Promise<Buffer | undefined>;
}

const VERSION = /\.v(\d+)(\.[a-z]+)$/;
const rank = (p: string): number => Number(VERSION.exec(p)?.[1] ?? 1);

/** The blob container's catalog: listing and reading, no index. */
export class ListingCatalog implements ArchiveCatalog {
  readonly searchNeedsDay = true;
  constructor(private readonly backend: ArchiveBackend) {}

  read(path: string): Promise<Buffer | undefined> {
    return this.backend.read(path);
  }

  async days(jobId: string): Promise<{ day: string; items: number }[]> {
    const items = new Map<string, Set<string>>();
    for await (const p of this.backend.list(`${jobId}/items/`)) {
      const [, , day, id] = p.split('/');
      if (!day || !id) continue;
      if (!items.has(day)) items.set(day, new Set());
      items.get(day)!.add(id);
    }
    return [...items].map(([day, ids]) => ({ day, items: ids.size })).sort((a, b) => b.day.localeCompare(a.day));
  }

  async find(query: ItemQuery): Promise<ArchivedItemRow[]> {
    if (!query.day) return [];
    const newest = new Map<string, { item?: string; eml?: string }>();
    for await (const p of this.backend.list(`${query.jobId}/items/${query.day}/`)) {
      const folder = p.slice(0, p.lastIndexOf('/') + 1);
      const entry = newest.get(folder) ?? {};
      if (/\/item(\.v\d+)?\.json$/.test(p) && (!entry.item || rank(p) > rank(entry.item))) entry.item = p;
      if (/\/message(\.v\d+)?\.eml$/.test(p) && (!entry.eml || rank(p) > rank(entry.eml))) entry.eml = p;
      newest.set(folder, entry);
    }
    const words = (query.q?.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []);
    const rows: ArchivedItemRow[] = [];
    for (const [folder, f] of newest) {
      if (!f.item) continue;
      const item = JSON.parse((await this.backend.read(f.item))?.toString('utf8') ?? '{}') as Item;
      const text = `${item.Content} ${item.Sender?.Name}`.toLowerCase();
      if (!words.every((w) => text.includes(w))) continue;
      rows.push({
        jobId: query.jobId,
        day: query.day,
        itemId: item.Id,
        itemType: item.ItemType,
        sentTimeUtc: item.SentTimeUtc,
        sender: item.Sender.Name,
        preview: item.MessagePreviewText,
        itemPath: f.item,
        emlPath: f.eml ?? `${folder}message.eml`,
      });
    }
    rows.sort((a, b) => b.sentTimeUtc.localeCompare(a.sentTimeUtc) || b.itemId.localeCompare(a.itemId));
    return rows.slice(0, query.limit);
  }
}
