import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Item } from '../ingest/item';

/** One archived item as the Archive view lists it. */
export interface ArchivedItemRow {
  jobId: string;
  day: string;
  itemId: string;
  itemType: string;
  sentTimeUtc: string;
  sender: string;
  preview: string;
  /** Archive paths of its newest Item JSON and message. */
  itemPath: string;
  emlPath: string;
}

export interface ItemQuery {
  jobId: string;
  day?: string;
  /** Words to find in the text or the author's name (all of them). */
  q?: string;
  limit: number;
}

/**
 * The Archive view's index of the embedded store's archive copy: SQLite FTS5 over each item's
 * text and author, in DATA_DIR/archive-index.db (beside the archive, not in it: verify lists
 * only what the manifests do). It can always be rebuilt from the archive; losing it loses nothing.
 */
export class SearchIndex {
  private readonly db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        job_id TEXT NOT NULL, day TEXT NOT NULL, item_id TEXT NOT NULL, item_type TEXT NOT NULL,
        sent_time_utc TEXT NOT NULL, sender TEXT NOT NULL, preview TEXT NOT NULL,
        item_path TEXT NOT NULL, eml_path TEXT NOT NULL,
        PRIMARY KEY (job_id, item_id)
      );
      CREATE INDEX IF NOT EXISTS items_day ON items (job_id, day, sent_time_utc);
      CREATE VIRTUAL TABLE IF NOT EXISTS items_text USING fts5(job_id UNINDEXED, item_id UNINDEXED, content, sender, tokenize = 'unicode61 remove_diacritics 2');
    `);
  }

  /** Records the item's newest archived version (a new version replaces the row, never the files). */
  add(jobId: string, item: Item, paths: { itemPath: string; emlPath: string }): void {
    const day = item.SentTimeUtc.slice(0, 10);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO items (job_id, day, item_id, item_type, sent_time_utc, sender, preview, item_path, eml_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(job_id, item_id) DO UPDATE SET day = excluded.day, item_type = excluded.item_type, sent_time_utc = excluded.sent_time_utc,
             sender = excluded.sender, preview = excluded.preview, item_path = excluded.item_path, eml_path = excluded.eml_path`,
        )
        .run(jobId, day, item.Id, item.ItemType, item.SentTimeUtc, item.Sender.Name, item.MessagePreviewText, paths.itemPath, paths.emlPath);
      this.db.prepare('DELETE FROM items_text WHERE job_id = ? AND item_id = ?').run(jobId, item.Id);
      this.db.prepare('INSERT INTO items_text (job_id, item_id, content, sender) VALUES (?, ?, ?, ?)').run(jobId, item.Id, item.Content, item.Sender.Name);
    })();
  }

  /** Words become an FTS5 query of quoted prefixes: what a person types is never FTS5 syntax. */
  private static match(q: string): string | undefined {
    const words = q.match(/[\p{L}\p{N}_]+/gu);
    return words?.length ? words.map((w) => `"${w}"*`).join(' ') : undefined;
  }

  find(query: ItemQuery): ArchivedItemRow[] {
    const match = query.q ? SearchIndex.match(query.q) : undefined;
    const where = ['i.job_id = ?'];
    const params: unknown[] = [query.jobId];
    if (query.day) {
      where.push('i.day = ?');
      params.push(query.day);
    }
    let from = 'items i';
    if (match) {
      from = 'items_text t JOIN items i ON i.job_id = t.job_id AND i.item_id = t.item_id';
      where.push('items_text MATCH ?');
      params.push(match);
    } else if (query.q) {
      return [];
    }
    const rows = this.db
      .prepare(
        `SELECT i.job_id AS jobId, i.day, i.item_id AS itemId, i.item_type AS itemType, i.sent_time_utc AS sentTimeUtc, i.sender, i.preview,
                i.item_path AS itemPath, i.eml_path AS emlPath
         FROM ${from} WHERE ${where.join(' AND ')} ORDER BY i.sent_time_utc DESC, i.item_id DESC LIMIT ?`,
      )
      .all(...params, query.limit) as ArchivedItemRow[];
    return rows;
  }

  /** Days with items, newest first, with their counts. */
  days(jobId: string): { day: string; items: number }[] {
    return this.db.prepare('SELECT day, COUNT(*) AS items FROM items WHERE job_id = ? GROUP BY day ORDER BY day DESC').all(jobId) as { day: string; items: number }[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
