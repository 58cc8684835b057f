import type Database from 'better-sqlite3';
import { postKey } from '../shared';
import type { ArchiveImport, ImportedQuery, ImportedRecord } from '../importTypes';

/** Imported X archives in SQLite: imported_records by (job, zero-padded id), archive_imports by (job, zip hash). */
export class SqliteImports {
  constructor(private readonly db: Database.Database) {}

  put(jobId: string, records: ImportedRecord[]): number {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO imported_records (job_id, id_key, id, kind, created_at, import_id, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    let added = 0;
    this.db.transaction(() => {
      for (const r of records) added += insert.run(jobId, postKey(r.id), r.id, r.kind, r.createdAt, r.importId, r.data).changes;
    })();
    return added;
  }

  get(jobId: string, id: string): ImportedRecord | undefined {
    const row = this.db.prepare('SELECT id, kind, created_at, import_id, data FROM imported_records WHERE job_id = ? AND id_key = ?').get(jobId, postKey(id)) as Row | undefined;
    return row && toRecord(row);
  }

  list(jobId: string, q: ImportedQuery): ImportedRecord[] {
    const rows = this.db
      .prepare(
        `SELECT id, kind, created_at, import_id, data FROM imported_records
         WHERE job_id = ? AND created_at >= ? AND created_at <= ? AND id_key > ? ORDER BY id_key LIMIT ?`,
      )
      .all(jobId, q.from, q.to, q.after ? postKey(q.after) : '', q.limit) as Row[];
    return rows.map(toRecord);
  }

  save(imp: ArchiveImport): void {
    this.db
      .prepare('INSERT INTO archive_imports (job_id, import_id, started_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (job_id, import_id) DO UPDATE SET started_at = excluded.started_at, data = excluded.data')
      .run(imp.jobId, imp.importId, imp.startedAt, JSON.stringify(imp));
  }

  listImports(): ArchiveImport[] {
    return (this.db.prepare('SELECT data FROM archive_imports ORDER BY started_at DESC').all() as { data: string }[]).map((r) => JSON.parse(r.data) as ArchiveImport);
  }
}

interface Row {
  id: string;
  kind: 'post' | 'dm';
  created_at: string;
  import_id: string;
  data: string;
}

const toRecord = (r: Row): ImportedRecord => ({ id: r.id, kind: r.kind, createdAt: r.created_at, importId: r.import_id, data: r.data });
