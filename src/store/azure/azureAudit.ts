import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import { nextAuditEntry } from '../../audit/hash';
import { normalAuditQuery, type NormalQuery } from '../../audit/query';
import type { AuditDetails, AuditEntry, AuditHead, AuditKind, AuditQuery } from '../types';
import { optimistic, unless404 } from './tables';

/**
 * The audit log in one table partition: an entity per entry, keyed by its seq zero-padded to 16
 * digits (text order is seq order), and a head entity (row key "head", after every digit) with the
 * last seq and hash. An append writes the new entry and moves the head in one entity-group
 * transaction, the head under If-Match: of two instances appending at once, one wins and the
 * other builds on the winner's entry, so the chain never forks and seqs have no gaps.
 */

const LOG = 'log';
const HEAD = 'head';
const SEQ_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits
/** Newest first walks down in windows of seqs (Tables list only in ascending key order). */
const MAX_WINDOW = 5000;

interface EntryEntity {
  rowKey: string;
  at: string;
  kind: string;
  details: string;
  prevHash: string;
  hash: string;
}

interface HeadEntity {
  etag: string;
  seq: string;
  hash: string;
}

export const seqKey = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');

/** seq comes from the row key, the entry's place in the log, so moving an entry shows in its hash. */
const toEntry = (e: EntryEntity): AuditEntry => ({
  seq: Number(e.rowKey),
  at: e.at,
  kind: e.kind as AuditKind,
  details: JSON.parse(e.details) as AuditDetails,
  prevHash: e.prevHash,
  hash: e.hash,
});

export class AzureAudit {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date,
  ) {}

  private readHead(): Promise<HeadEntity | undefined> {
    return unless404(this.table.getEntity<HeadEntity>(LOG, HEAD));
  }

  async head(): Promise<AuditHead | undefined> {
    const h = await this.readHead();
    return h && { seq: Number(h.seq), hash: h.hash };
  }

  append(input: { kind: AuditKind; at?: string; details: AuditDetails }): Promise<AuditEntry> {
    // A 409 (that seq's entry, or the head, was created by another instance) or a 412 (the head
    // moved) means another append landed first: read the new head and chain to it.
    return optimistic('appendAudit', async () => {
      const head = await this.readHead();
      const e = nextAuditEntry(input, head && { seq: Number(head.seq), hash: head.hash }, this.now());
      const tx = new TableTransaction();
      tx.createEntity({
        partitionKey: LOG,
        rowKey: seqKey(e.seq),
        at: e.at,
        kind: e.kind,
        details: JSON.stringify(e.details),
        prevHash: e.prevHash,
        hash: e.hash,
      });
      const next = { partitionKey: LOG, rowKey: HEAD, seq: String(e.seq), hash: e.hash };
      if (head) tx.updateEntity(next, 'Replace', { etag: head.etag });
      else tx.createEntity(next);
      await this.table.submitTransaction(tx.actions);
      return e;
    });
  }

  async list(query?: AuditQuery): Promise<AuditEntry[]> {
    const q = normalAuditQuery(query);
    if (q.limit === 0) return [];
    if (q.order === 'oldest') return this.range(q, q.after, q.before, q.limit);
    const head = await this.head();
    const out: AuditEntry[] = [];
    let hi = Math.min(q.before, (head?.seq ?? 0) + 1);
    // Without from/to the seqs are dense, so the first window is the whole page.
    for (let window = q.limit; hi - 1 > q.after && out.length < q.limit; window = Math.min(window * 2, MAX_WINDOW)) {
      const lo = Math.max(q.after, hi - 1 - window);
      const page = await this.range(q, lo, hi, window);
      out.push(...page.reverse().slice(0, q.limit - out.length));
      hi = lo + 1;
    }
    return out;
  }

  /** Entries with after < seq < before (and within from/to), oldest first, at most limit. */
  private async range(q: NormalQuery, after: number, before: number, limit: number): Promise<AuditEntry[]> {
    let filter = odata`PartitionKey eq ${LOG} and RowKey gt ${seqKey(after)} and RowKey lt ${seqKey(before)}`;
    if (q.from !== undefined) filter += odata` and at ge ${q.from}`;
    if (q.to !== undefined) filter += odata` and at le ${q.to}`;
    const out: AuditEntry[] = [];
    const pages = this.table.listEntities<EntryEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const e of page) {
        out.push(toEntry(e));
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}
