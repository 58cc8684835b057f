/**
 * The audit log's chain check: on plain entries (what an export holds), and on both stores after
 * someone edited what they keep at rest — an entry changed, changed and re-hashed, removed, moved,
 * the last one removed. Each tamper is a test of its own; the untouched log passes.
 */
import { TableClient } from '@azure/data-tables';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditHash, GENESIS_HASH, nextAuditEntry } from '../../src/audit/hash';
import { verifyAuditChain } from '../../src/audit/verifyChain';
import { SecretBox } from '../../src/crypto/secretBox';
import { AzureStore } from '../../src/store/azure/azureStore';
import { seqKey } from '../../src/store/azure/azureAudit';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import type { AuditEntry, Store } from '../../src/store/types';
import { startAzurite, type AzuriteHandle } from '../fakes/azurite';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const prev = out.at(-1);
    out.push(nextAuditEntry({ kind: 'task.queued', details: { taskId: `t${i}` } }, prev && { seq: prev.seq, hash: prev.hash }, new Date(Date.UTC(2026, 0, 1, 0, i))));
  }
  return out;
}

describe('verifyAuditChain on plain entries', () => {
  test('when the entries are as appended, then the chain holds and its last entry is named', async () => {
    const entries = chain(4);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(await verifyAuditChain(entries)).toEqual({ ok: true, entries: 4, last: { seq: 4, hash: entries[3]!.hash } });
    expect(await verifyAuditChain([])).toEqual({ ok: true, entries: 0 });
  });

  test('when the hash is over the same content in another key order, then it is the same hash', () => {
    const e = chain(1)[0]!;
    expect(auditHash({ ...e, details: { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } } })).toBe(
      auditHash({ ...e, details: { a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 } }),
    );
  });

  test('when an entry was edited, then the first broken entry is that one', async () => {
    const entries = chain(4);
    entries[2] = { ...entries[2]!, details: { taskId: 'forged' } };
    expect(await verifyAuditChain(entries)).toMatchObject({ ok: false, entries: 3, firstBroken: { seq: 3, reason: 'entry 3 was changed: its content does not match its hash' } });
  });

  test('when an entry was removed, then the entry after the gap is broken', async () => {
    const entries = chain(5);
    entries.splice(1, 2);
    expect(await verifyAuditChain(entries)).toMatchObject({ ok: false, firstBroken: { seq: 4, reason: 'entries 2-3 are missing before entry 4' } });
  });

  test('when an export is checked against the head it was taken with, then a removed last entry shows', async () => {
    const entries = chain(3);
    const head = { seq: 3, hash: entries[2]!.hash };
    expect(await verifyAuditChain(entries, { head })).toMatchObject({ ok: true });
    expect(await verifyAuditChain(entries.slice(0, 2), { head })).toMatchObject({ ok: false, firstBroken: { seq: 3 } });
  });
});

/** A store holding six entries, and ways to tamper with what it keeps at rest, behind its back. */
interface Tamperable {
  store: Store;
  edit(seq: number, fields: Partial<Pick<AuditEntry, 'at' | 'details' | 'hash'>>): Promise<void>;
  remove(seq: number): Promise<void>;
  /** Moves entry a's stored content to b's place and b's to a's. */
  swap(a: number, b: number): Promise<void>;
  close(): Promise<void>;
}

function describeTampering(name: string, open: () => Promise<Tamperable>): void {
  describe(`verify finds a tampered audit log: ${name}`, () => {
    let t: Tamperable;
    let entries: AuditEntry[];
    beforeEach(async () => {
      t = await open();
      entries = [];
      for (let i = 1; i <= 6; i++) entries.push(await t.store.appendAudit({ kind: 'settings.saved', details: { changed: [`Key${i}`] } }));
    });
    afterEach(async () => {
      await t.close();
    });

    test('when nothing was touched, then the chain holds', async () => {
      expect(await verifyAuditChain(t.store)).toEqual({ ok: true, entries: 6, last: { seq: 6, hash: entries[5]!.hash } });
    });

    test('when one entry was edited, then that entry is the first broken one', async () => {
      await t.edit(3, { details: { changed: ['AADAppSecret'] } });
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 3, reason: expect.stringMatching(/changed/) } });
    });

    test('when one entry was edited and its hash made to match, then the entry after it is broken', async () => {
      const forged = { ...entries[2]!, details: { changed: ['nothing'] } };
      await t.edit(3, { details: forged.details, hash: auditHash(forged) });
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 4, reason: expect.stringMatching(/does not follow entry 3/) } });
    });

    test('when one entry was removed, then the entry after it is broken', async () => {
      await t.remove(4);
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 5, reason: 'entry 4 is missing before entry 5' } });
    });

    test('when two entries were swapped, then the first of them is broken', async () => {
      await t.swap(2, 3);
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 2 } });
    });

    test('when an entry was given another time, then it is broken', async () => {
      await t.edit(5, { at: '2020-01-01T00:00:00.000Z' });
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, firstBroken: { seq: 5 } });
    });

    test('when the last entry was removed, then the end of the log is broken', async () => {
      await t.remove(6);
      expect(await verifyAuditChain(t.store)).toMatchObject({ ok: false, entries: 5, firstBroken: { seq: 6, reason: expect.stringMatching(/entries at its end were removed/) } });
    });
  });
}

// SQLite: the file is edited with SQL, as anyone who can write it could.
describeTampering('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
  const file = join(dir, 'connector.db');
  const store = new SqliteStore(file, new SecretBox('k'));
  const raw = new Database(file);
  const columns = { at: 'at', details: 'details', hash: 'hash' } as const;
  const unguarded = () => {
    raw.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  };
  return {
    store,
    async edit(seq, fields) {
      unguarded();
      for (const [k, v] of Object.entries(fields)) {
        raw.prepare(`UPDATE audit_log SET ${columns[k as keyof typeof columns]} = ? WHERE seq = ?`).run(typeof v === 'string' ? v : JSON.stringify(v), seq);
      }
    },
    async remove(seq) {
      unguarded();
      raw.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
    },
    async swap(a, b) {
      unguarded();
      raw.transaction(() => {
        raw.prepare('UPDATE audit_log SET seq = -1 WHERE seq = ?').run(a);
        raw.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(a, b);
        raw.prepare('UPDATE audit_log SET seq = ? WHERE seq = -1').run(b);
      })();
    },
    async close() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('the SQLite audit log through SQL', () => {
  test('when a row is updated or deleted without dropping the guards, then SQLite refuses, and the head only moves forward', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-guard-'));
    const file = join(dir, 'connector.db');
    const store = new SqliteStore(file, new SecretBox('k'));
    const raw = new Database(file);
    try {
      await store.appendAudit({ kind: 'job.deleted', details: { jobId: 'j' } });
      await store.appendAudit({ kind: 'job.deleted', details: { jobId: 'k' } });
      expect(() => raw.prepare("UPDATE audit_log SET details = '{}' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
      expect(() => raw.prepare('UPDATE audit_head SET seq = 1').run()).toThrow(/only moves forward/);
      expect(await verifyAuditChain(store)).toMatchObject({ ok: true, entries: 2 });
    } finally {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Azure Tables on Azurite: the entities are edited with the SDK, as anyone with the account key could.
describe('on Azurite', () => {
  let azurite: AzuriteHandle;
  const suite = `a${randomBytes(3).toString('hex')}`;
  let n = 0;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.close();
  });

  describeTampering('azure', async () => {
    const prefix = `${suite}t${++n}`;
    const store = await AzureStore.open(azurite.connectionString, new SecretBox('k'), undefined, { prefix });
    const table = TableClient.fromConnectionString(azurite.connectionString, `${prefix}audit`, { allowInsecureConnection: true });
    const stored = (e: Record<string, unknown>) => ({ at: e['at'], kind: e['kind'], details: e['details'], prevHash: e['prevHash'], hash: e['hash'] });
    return {
      store,
      async edit(seq, fields) {
        const patch = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
        await table.updateEntity({ partitionKey: 'log', rowKey: seqKey(seq), ...patch }, 'Merge');
      },
      async remove(seq) {
        await table.deleteEntity('log', seqKey(seq));
      },
      async swap(a, b) {
        const [ea, eb] = await Promise.all([table.getEntity('log', seqKey(a)), table.getEntity('log', seqKey(b))]);
        await table.updateEntity({ partitionKey: 'log', rowKey: seqKey(a), ...stored(eb) }, 'Replace');
        await table.updateEntity({ partitionKey: 'log', rowKey: seqKey(b), ...stored(ea) }, 'Replace');
      },
      close: () => store.close(),
    };
  });
});
