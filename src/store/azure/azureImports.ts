import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import { postKey } from '../shared';
import type { ArchiveImport, ImportedQuery, ImportedRecord } from '../importTypes';
import { chunked, keyOf, unchunk, unless404 } from './tables';

/**
 * Imported X archives in two tables: records partitioned by job with the zero-padded id as row
 * key (id order, transactions of up to 100), imports partitioned by job with the zip's hash as
 * row key. X's ids are snowflakes since 2010-11-04 (milliseconds since X's epoch shifted left by
 * 22 bits), so a window's records lie in a row-key range; the createdAt filter makes it exact.
 */

const BATCH = 100;
/** A transaction's body may not exceed 4 MiB. */
const BATCH_CHARS = 3_000_000;
const X_EPOCH_MS = 1288834974657n;
/** Ids before snowflakes (sequential) are all far below the first day of snowflakes. */
const DAY_MS = 86_400_000n;

interface RecordEntity {
  id: string;
  kind: 'post' | 'dm';
  createdAt: string;
  importId: string;
  [chunk: string]: unknown;
}

/** Text as base64 of its UTF-8: ASCII, so chunking it never splits a character, and it reads back as it was. */
const ascii = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

/** The lowest and highest row keys a record created in [from, to] may have. */
export function idRange(from: string, to: string): [string, string] {
  const ms = (iso: string) => BigInt(Date.parse(iso)) - X_EPOCH_MS;
  const lo = ms(from) <= DAY_MS ? 0n : ms(from) << 22n;
  const hiMs = ms(to) < DAY_MS ? DAY_MS : ms(to);
  const hi = ((hiMs + 1n) << 22n) - 1n;
  return [postKey(lo.toString()), postKey(hi.toString())];
}

const toRecord = (e: RecordEntity): ImportedRecord => ({ id: e.id, kind: e.kind, createdAt: e.createdAt, importId: e.importId, data: text(unchunk(e, 'data')) });

export class AzureImports {
  constructor(
    private readonly records: TableClient,
    private readonly imports: TableClient,
  ) {}

  /** createTable succeeds when the table exists. */
  async create(): Promise<void> {
    await Promise.all([this.records.createTable(), this.imports.createTable()]);
  }

  async put(jobId: string, records: ImportedRecord[]): Promise<number> {
    const partitionKey = keyOf(jobId);
    const sorted = [...new Map(records.map((r) => [postKey(r.id), r])).entries()].sort(([a], [b]) => a.localeCompare(b));
    let added = 0;
    for (let i = 0; i < sorted.length; i += BATCH) {
      const slice = sorted.slice(i, i + BATCH);
      // One query tells which of the slice the job has: a second import writes nothing.
      const have = new Set<string>();
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${slice[0]![0]} and RowKey le ${slice.at(-1)![0]}`;
      for await (const e of this.records.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) have.add(String(e.rowKey));
      let tx = new TableTransaction();
      let chars = 0;
      for (const [rowKey, r] of slice) {
        if (have.has(rowKey)) continue;
        const data = ascii(r.data);
        if (tx.actions.length && chars + data.length > BATCH_CHARS) {
          await this.records.submitTransaction(tx.actions);
          tx = new TableTransaction();
          chars = 0;
        }
        // Upsert: a record another import wrote meanwhile is the same record.
        tx.upsertEntity({ partitionKey, rowKey, id: r.id, kind: r.kind, createdAt: r.createdAt, importId: r.importId, ...chunked('data', data) }, 'Replace');
        chars += data.length;
        added++;
      }
      if (tx.actions.length) await this.records.submitTransaction(tx.actions);
    }
    return added;
  }

  async get(jobId: string, id: string): Promise<ImportedRecord | undefined> {
    const e = await unless404(this.records.getEntity<RecordEntity>(keyOf(jobId), postKey(id)));
    return e && toRecord(e);
  }

  async list(jobId: string, q: ImportedQuery): Promise<ImportedRecord[]> {
    const [lo, hi] = idRange(q.from, q.to);
    const after = q.after ? postKey(q.after) : '';
    const filter = odata`PartitionKey eq ${keyOf(jobId)} and RowKey ge ${lo} and RowKey gt ${after} and RowKey le ${hi} and createdAt ge ${q.from} and createdAt le ${q.to}`;
    const out: ImportedRecord[] = [];
    for await (const page of this.records.listEntities<RecordEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(q.limit, 1000) })) {
      for (const e of page) {
        out.push(toRecord(e));
        if (out.length >= q.limit) return out;
      }
    }
    return out;
  }

  async save(imp: ArchiveImport): Promise<void> {
    await this.imports.upsertEntity({ partitionKey: keyOf(imp.jobId), rowKey: imp.importId, startedAt: imp.startedAt, ...chunked('data', ascii(JSON.stringify(imp))) }, 'Replace');
  }

  async listImports(): Promise<ArchiveImport[]> {
    const out: ArchiveImport[] = [];
    for await (const e of this.imports.listEntities<Record<string, unknown>>()) out.push(JSON.parse(text(unchunk(e, 'data'))) as ArchiveImport);
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }
}
