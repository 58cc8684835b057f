import Database from 'better-sqlite3';
import type { ArchiveImport, ImportedQuery, ImportedRecord } from '../importTypes';
import { SqliteImports } from './sqliteImports';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretBox } from '../../crypto/secretBox';
import { NotFoundError } from '../../errors';
import { nextAuditEntry } from '../../audit/hash';
import { normalAuditQuery } from '../../audit/query';
import {
  SETTING_KEYS,
  type ArchivedPost,
  type AuditDetails,
  type AuditEntry,
  type AuditHead,
  type AuditKind,
  type AuditQuery,
  type DayReservation,
  type Deletion,
  type DeletionCheck,
  type DayTotal,
  type Job,
  type JobAuthorization,
  type Lease,
  type RequestToken,
  type Settings,
  type Store,
  type TaskMessage,
  type TaskRun,
  type XReads,
  type XUsage,
  type WorkerBeat,
} from '../types';
import { compareIds, postKey, purposes, tokenKey } from '../shared';
import { holderAlive, parseHolder, thisProcess } from '../leaseHolder';
import { MIGRATIONS } from './schema';

interface JobRow {
  job_id: string;
  tenant_id: string | null;
  account_id: string | null;
  account_username: string | null;
  account_name: string | null;
  access_token: string | null;
  access_secret: string | null;
  saved: number;
  since_id: string | null;
  needs_relogin: number;
  created_at: string;
  updated_at: string;
}

interface ArchivedRow {
  post_id: string;
  created_at: string;
  day: string;
  conversation_id: string | null;
  task_id: string;
}

interface AuditRow {
  seq: number;
  at: string;
  kind: string;
  details: string;
  prev_hash: string;
  hash: string;
}

function toAudit(r: AuditRow): AuditEntry {
  return { seq: r.seq, at: r.at, kind: r.kind as AuditKind, details: JSON.parse(r.details) as AuditDetails, prevHash: r.prev_hash, hash: r.hash };
}

function toArchived(r: ArchivedRow): ArchivedPost {
  return { postId: r.post_id, createdAt: r.created_at, day: r.day, conversationId: r.conversation_id, taskId: r.task_id };
}

interface DeletionRow {
  data: string;
  claimed_by: string | null;
}

function toDeletion(r: DeletionRow): Deletion {
  return { ...(JSON.parse(r.data) as Omit<Deletion, 'claimedBy'>), claimedBy: r.claimed_by };
}

/**
 * The embedded store: one SQLite file in DATA_DIR (WAL, synchronous=FULL so that a 200 from
 * OnDownloadRequest means the task is on disk). better-sqlite3 is synchronous; the methods are
 * async only to share the Store interface with the Azure adapter.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const run = this.db.transaction(() => {
      for (let v = version; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    });
    run.immediate();
  }

  // Settings ---------------------------------------------------------------------------------

  async getSettings(): Promise<Settings> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    const out: Settings = {};
    for (const row of rows) {
      if ((SETTING_KEYS as readonly string[]).includes(row.key)) {
        out[row.key as keyof Settings] = this.box.open(row.value, purposes.setting(row.key));
      }
    }
    return out;
  }

  async saveSettings(patch: Settings): Promise<void> {
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    const at = this.now().toISOString();
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        upsert.run(key, this.box.seal(value, purposes.setting(key)), at);
      }
    })();
  }

  // Request tokens ---------------------------------------------------------------------------

  async putRequestToken(t: RequestToken): Promise<void> {
    const key = tokenKey(t.token);
    this.db
      .prepare('INSERT OR REPLACE INTO request_tokens (token_key, token_secret, job_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(key, this.box.seal(t.tokenSecret, purposes.requestToken(key)), t.jobId, t.createdAt.toISOString(), t.expiresAt.toISOString());
  }

  async takeRequestToken(token: string): Promise<RequestToken | undefined> {
    const key = tokenKey(token);
    // DELETE ... RETURNING makes "read and consume" one atomic step: a replayed callback finds nothing.
    const row = this.db.prepare('DELETE FROM request_tokens WHERE token_key = ? RETURNING *').get(key) as
      | { token_secret: string; job_id: string; created_at: string; expires_at: string }
      | undefined;
    if (!row) return undefined;
    return {
      token,
      tokenSecret: this.box.open(row.token_secret, purposes.requestToken(key)),
      jobId: row.job_id,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  async deleteRequestTokens(jobId: string): Promise<number> {
    return this.db.prepare('DELETE FROM request_tokens WHERE job_id = ?').run(jobId).changes;
  }

  // Jobs -------------------------------------------------------------------------------------

  private toJob(row: JobRow): Job {
    return {
      jobId: row.job_id,
      tenantId: row.tenant_id,
      accountId: row.account_id,
      accountUsername: row.account_username,
      accountName: row.account_name,
      accessToken: row.access_token === null ? null : this.box.open(row.access_token, purposes.accessToken(row.job_id)),
      accessSecret: row.access_secret === null ? null : this.box.open(row.access_secret, purposes.accessSecret(row.job_id)),
      saved: row.saved === 1,
      sinceId: row.since_id,
      needsRelogin: row.needs_relogin === 1,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  }

  private jobRow(jobId: string): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const row = this.jobRow(jobId);
    return row && this.toJob(row);
  }

  async listJobs(): Promise<Job[]> {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY created_at').all() as JobRow[]).map((r) => this.toJob(r));
  }

  async saveJobAuthorization(jobId: string, auth: JobAuthorization): Promise<Job> {
    const at = this.now().toISOString();
    const accessToken = this.box.seal(auth.accessToken, purposes.accessToken(jobId));
    const accessSecret = this.box.seal(auth.accessSecret, purposes.accessSecret(jobId));
    this.db.transaction(() => {
      const existing = this.jobRow(jobId);
      if (!existing) {
        this.db
          .prepare(
            `INSERT INTO jobs (job_id, account_id, account_username, access_token, access_secret, saved, needs_relogin, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)`,
          )
          .run(jobId, auth.accountId, auth.accountUsername, accessToken, accessSecret, at, at);
        return;
      }
      const sameAccount = existing.account_id === auth.accountId;
      this.db
        .prepare(
          `UPDATE jobs SET account_id = ?, account_username = ?, access_token = ?, access_secret = ?, needs_relogin = 0,
             since_id = ?, saved = ?, account_name = ?, updated_at = ? WHERE job_id = ?`,
        )
        .run(
          auth.accountId,
          auth.accountUsername,
          accessToken,
          accessSecret,
          sameAccount ? existing.since_id : null,
          sameAccount ? existing.saved : 0,
          sameAccount ? existing.account_name : null,
          at,
          jobId,
        );
    }).immediate();
    return this.toJob(this.jobRow(jobId)!);
  }

  async saveJobAccount(jobId: string, m: { tenantId: string | null; accountId: string; accountName: string }): Promise<Job> {
    if (!this.jobRow(jobId)) throw new NotFoundError(`Job ${jobId} is not known to this connector`);
    this.db
      .prepare('UPDATE jobs SET tenant_id = ?, account_name = ?, saved = 1, updated_at = ? WHERE job_id = ? AND account_id = ?')
      .run(m.tenantId, m.accountName, this.now().toISOString(), jobId, m.accountId);
    return this.toJob(this.jobRow(jobId)!);
  }

  async jobsForAccount(accountId: string, exceptJobId?: string): Promise<string[]> {
    const rows = this.db
      .prepare('SELECT job_id FROM jobs WHERE account_id = ? AND saved = 1 AND job_id IS NOT ?')
      .all(accountId, exceptJobId ?? null) as { job_id: string }[];
    return rows.map((r) => r.job_id);
  }

  async setNeedsRelogin(jobId: string, needsRelogin: boolean): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE jobs SET needs_relogin = ?, updated_at = ? WHERE job_id = ?')
        .run(needsRelogin ? 1 : 0, this.now().toISOString(), jobId).changes > 0
    );
  }

  async advanceSinceId(jobId: string, sinceId: string): Promise<void> {
    this.db.transaction(() => {
      const row = this.jobRow(jobId);
      if (!row) return;
      if (row.since_id !== null && compareIds(row.since_id, sinceId) >= 0) return;
      this.db.prepare('UPDATE jobs SET since_id = ?, updated_at = ? WHERE job_id = ?').run(sinceId, this.now().toISOString(), jobId);
    }).immediate();
  }

  async deleteJob(jobId: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM request_tokens WHERE job_id = ?').run(jobId);
      return this.db.prepare('DELETE FROM jobs WHERE job_id = ?').run(jobId).changes > 0;
    }).immediate();
  }

  // Task queue -------------------------------------------------------------------------------

  async enqueueTask(task: TaskMessage): Promise<void> {
    const payload = this.box.seal(JSON.stringify(task), purposes.task(task.jobId, task.taskId));
    this.db
      .prepare(
        `INSERT INTO tasks (job_id, task_id, payload, visible_at, lease_id, dequeue_count, enqueued_at)
         VALUES (?, ?, ?, 0, NULL, 0, ?) ON CONFLICT(job_id, task_id) DO NOTHING`,
      )
      .run(task.jobId, task.taskId, payload, task.enqueuedAt);
  }

  async leaseTask(visibilityMs: number): Promise<Lease | undefined> {
    const nowMs = this.now().getTime();
    const leaseId = randomUUID();
    const row = this.db
      .prepare(
        `UPDATE tasks SET visible_at = ?, lease_id = ?, lease_holder = ?, dequeue_count = dequeue_count + 1
         WHERE id = (SELECT id FROM tasks WHERE visible_at <= ? ORDER BY id LIMIT 1)
         RETURNING job_id, task_id, payload, dequeue_count`,
      )
      .get(nowMs + visibilityMs, leaseId, JSON.stringify(thisProcess()), nowMs) as
      | { job_id: string; task_id: string; payload: string; dequeue_count: number }
      | undefined;
    if (!row) return undefined;
    const task = JSON.parse(this.box.open(row.payload, purposes.task(row.job_id, row.task_id))) as TaskMessage;
    return { task, leaseId, dequeueCount: row.dequeue_count };
  }

  async extendLease(lease: Lease, visibilityMs: number): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE tasks SET visible_at = ? WHERE job_id = ? AND task_id = ? AND lease_id = ?')
        .run(this.now().getTime() + visibilityMs, lease.task.jobId, lease.task.taskId, lease.leaseId).changes > 0
    );
  }

  async completeTask(lease: Lease): Promise<void> {
    this.db.prepare('DELETE FROM tasks WHERE job_id = ? AND task_id = ? AND lease_id = ?').run(lease.task.jobId, lease.task.taskId, lease.leaseId);
  }

  async releaseTask(lease: Lease): Promise<void> {
    this.db
      .prepare('UPDATE tasks SET visible_at = 0, lease_id = NULL, lease_holder = NULL WHERE job_id = ? AND task_id = ? AND lease_id = ?')
      .run(lease.task.jobId, lease.task.taskId, lease.leaseId);
  }

  async releaseDeadLeases(): Promise<{ jobId: string; taskId: string }[]> {
    const held = this.db
      .prepare('SELECT id, job_id, task_id, lease_id, lease_holder FROM tasks WHERE lease_id IS NOT NULL AND visible_at > ?')
      .all(this.now().getTime()) as { id: number; job_id: string; task_id: string; lease_id: string; lease_holder: string | null }[];
    const release = this.db.prepare('UPDATE tasks SET visible_at = 0, lease_id = NULL, lease_holder = NULL WHERE id = ? AND lease_id = ?');
    const released: { jobId: string; taskId: string }[] = [];
    for (const row of held) {
      const holder = parseHolder(row.lease_holder);
      // A lease without a holder was taken before holders were recorded: it runs out on its own.
      if (!holder || holderAlive(holder)) continue;
      if (release.run(row.id, row.lease_id).changes > 0) released.push({ jobId: row.job_id, taskId: row.task_id });
    }
    return released;
  }

  async queueDepth(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;
  }

  async oldestQueuedAt(): Promise<string | null> {
    return (this.db.prepare('SELECT MIN(enqueued_at) AS at FROM tasks').get() as { at: string | null }).at;
  }

  // Worker heartbeats -------------------------------------------------------------------------

  async recordHeartbeat(beat: WorkerBeat): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO heartbeats (instance_id, data, last_beat_at) VALUES (?, ?, ?)
         ON CONFLICT(instance_id) DO UPDATE SET data = excluded.data, last_beat_at = excluded.last_beat_at`,
      )
      .run(beat.instanceId, JSON.stringify(beat), beat.lastBeatAt);
  }

  async listHeartbeats(): Promise<WorkerBeat[]> {
    const rows = this.db.prepare('SELECT data FROM heartbeats ORDER BY last_beat_at DESC, instance_id').all() as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as WorkerBeat);
  }

  async pruneHeartbeats(before: string): Promise<number> {
    return this.db.prepare('DELETE FROM heartbeats WHERE last_beat_at < ?').run(before).changes;
  }

  // Daily ledger -----------------------------------------------------------------------------

  async reserveDays(jobId: string, taskId: string, counts: Map<string, number>, cap: number): Promise<DayReservation> {
    const others = this.db.prepare(
      'SELECT COALESCE(SUM(items), 0) AS n FROM ledger WHERE job_id = ? AND day = ? AND task_id <> ? AND accepted = 1',
    );
    const upsert = this.db.prepare(
      `INSERT INTO ledger (job_id, day, task_id, items, accepted) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(job_id, day, task_id) DO UPDATE SET items = excluded.items, accepted = excluded.accepted`,
    );
    // IMMEDIATE takes the write lock first, so two processes cannot both read "room left" and both count.
    return this.db.transaction(() => {
      const result: DayReservation = { accepted: [], rejected: [] };
      for (const [day, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
        const wouldBe = (others.get(jobId, day, taskId) as { n: number }).n + n;
        const ok = wouldBe <= cap;
        upsert.run(jobId, day, taskId, n, ok ? 1 : 0);
        if (ok) result.accepted.push(day);
        else result.rejected.push({ day, wouldBe });
      }
      return result;
    }).immediate();
  }

  async releaseDays(jobId: string, taskId: string, days: string[]): Promise<void> {
    const remove = this.db.prepare('DELETE FROM ledger WHERE job_id = ? AND task_id = ? AND day = ? AND accepted = 1');
    this.db.transaction(() => {
      for (const day of days) remove.run(jobId, taskId, day);
    })();
  }

  async dayTotals(sinceDay: string): Promise<DayTotal[]> {
    return this.db
      .prepare(
        `SELECT job_id AS jobId, day,
                SUM(CASE WHEN accepted = 1 THEN items ELSE 0 END) AS items,
                SUM(CASE WHEN accepted = 0 THEN items ELSE 0 END) AS refused
         FROM ledger WHERE day >= ? GROUP BY job_id, day ORDER BY day, job_id`,
      )
      .all(sinceDay) as DayTotal[];
  }

  // Archived posts and deletions ------------------------------------------------------------

  async recordArchived(jobId: string, posts: ArchivedPost[]): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO archived_posts (job_id, post_key, post_id, created_at, day, conversation_id, task_id) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(job_id, post_key) DO UPDATE SET created_at = excluded.created_at, day = excluded.day,
         conversation_id = excluded.conversation_id, task_id = excluded.task_id`,
    );
    this.db.transaction(() => {
      for (const p of posts) upsert.run(jobId, postKey(p.postId), p.postId, p.createdAt, p.day, p.conversationId, p.taskId);
    })();
  }

  async getArchived(jobId: string, postId: string): Promise<ArchivedPost | undefined> {
    const row = this.db.prepare('SELECT * FROM archived_posts WHERE job_id = ? AND post_key = ?').get(jobId, postKey(postId)) as ArchivedRow | undefined;
    return row && toArchived(row);
  }

  async listArchived(jobId: string, sinceDay: string, limit: number, afterPostId?: string): Promise<ArchivedPost[]> {
    const rows = this.db
      .prepare('SELECT * FROM archived_posts WHERE job_id = ? AND day >= ? AND post_key > ? ORDER BY post_key LIMIT ?')
      .all(jobId, sinceDay, afterPostId ? postKey(afterPostId) : '', limit) as ArchivedRow[];
    return rows.map(toArchived);
  }

  async recordDeletion(d: Omit<Deletion, 'claimedBy'>): Promise<boolean> {
    return (
      this.db
        .prepare('INSERT INTO deletions (job_id, post_id, data, learned_at, claimed_by) VALUES (?, ?, ?, ?, NULL) ON CONFLICT(job_id, post_id) DO NOTHING')
        .run(d.jobId, d.postId, JSON.stringify(d), d.learnedAt).changes > 0
    );
  }

  async claimDeletions(jobId: string, taskId: string, learnedUpTo: string): Promise<Deletion[]> {
    return this.db.transaction(() => {
      this.db.prepare('UPDATE deletions SET claimed_by = ? WHERE job_id = ? AND claimed_by IS NULL AND learned_at <= ?').run(taskId, jobId, learnedUpTo);
      const rows = this.db.prepare('SELECT data, claimed_by FROM deletions WHERE job_id = ? AND claimed_by = ? ORDER BY learned_at, post_id').all(jobId, taskId) as DeletionRow[];
      return rows.map(toDeletion);
    }).immediate();
  }

  async releaseDeletions(jobId: string, taskId: string): Promise<void> {
    this.db.prepare('UPDATE deletions SET claimed_by = NULL WHERE job_id = ? AND claimed_by = ?').run(jobId, taskId);
  }

  async listDeletions(limit: number): Promise<Deletion[]> {
    const rows = this.db.prepare('SELECT data, claimed_by FROM deletions ORDER BY learned_at DESC, post_id DESC LIMIT ?').all(limit) as DeletionRow[];
    return rows.map(toDeletion);
  }

  async saveDeletionCheck(check: DeletionCheck): Promise<void> {
    this.db
      .prepare('INSERT INTO deletion_checks (job_id, data) VALUES (?, ?) ON CONFLICT(job_id) DO UPDATE SET data = excluded.data')
      .run(check.jobId, JSON.stringify(check));
  }

  async listDeletionChecks(): Promise<DeletionCheck[]> {
    return (this.db.prepare('SELECT data FROM deletion_checks ORDER BY job_id').all() as { data: string }[]).map((r) => JSON.parse(r.data) as DeletionCheck);
  }

  // Task history -----------------------------------------------------------------------------

  async recordTaskRun(run: TaskRun): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO task_runs (job_id, task_id, data, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(job_id, task_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run(run.jobId, run.taskId, JSON.stringify(run), this.now().toISOString());
  }

  async getTaskRun(jobId: string, taskId: string): Promise<TaskRun | undefined> {
    const row = this.db.prepare('SELECT data FROM task_runs WHERE job_id = ? AND task_id = ?').get(jobId, taskId) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as TaskRun);
  }

  async listTaskRuns(limit: number): Promise<TaskRun[]> {
    const rows = this.db.prepare('SELECT data FROM task_runs ORDER BY updated_at DESC, rowid DESC LIMIT ?').all(limit) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as TaskRun);
  }

  // What X charged for -------------------------------------------------------------------------

  async addXUsage(jobId: string, day: string, source: string, reads: XReads): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO x_usage (job_id, day, source, requests, posts, users, dm_events) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(job_id, day, source) DO UPDATE SET requests = requests + excluded.requests, posts = posts + excluded.posts,
           users = users + excluded.users, dm_events = dm_events + excluded.dm_events`,
      )
      .run(jobId, day, source, reads.requests, reads.posts, reads.users, reads.dmEvents);
  }

  async listXUsage(sinceDay: string): Promise<XUsage[]> {
    return this.db
      .prepare('SELECT job_id AS jobId, day, source, requests, posts, users, dm_events AS dmEvents FROM x_usage WHERE day >= ? ORDER BY day, job_id, source')
      .all(sinceDay) as XUsage[];
  }

  // Audit log ---------------------------------------------------------------------------------

  async appendAudit(input: { kind: AuditKind; at?: string; details: AuditDetails }): Promise<AuditEntry> {
    // IMMEDIATE takes the write lock before the head is read: another process appending waits, so
    // no two entries take one seq and the chain never forks.
    return this.db.transaction(() => {
      const head = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as AuditHead | undefined;
      const e = nextAuditEntry(input, head, this.now());
      this.db
        .prepare('INSERT INTO audit_log (seq, at, kind, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)')
        .run(e.seq, e.at, e.kind, JSON.stringify(e.details), e.prevHash, e.hash);
      this.db
        .prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash')
        .run(e.seq, e.hash);
      return e;
    }).immediate();
  }

  async listAudit(query?: AuditQuery): Promise<AuditEntry[]> {
    const q = normalAuditQuery(query);
    const where = ['seq > ?', 'seq < ?'];
    const params: (string | number)[] = [q.after, q.before];
    if (q.from !== undefined) {
      where.push('at >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('at <= ?');
      params.push(q.to);
    }
    const rows = this.db
      .prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${q.order === 'newest' ? 'DESC' : 'ASC'} LIMIT ?`)
      .all(...params, q.limit) as AuditRow[];
    return rows.map(toAudit);
  }

  async auditHead(): Promise<AuditHead | undefined> {
    return this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as AuditHead | undefined;
  }

  // Imported X archives ------------------------------------------------------------------------

  private get imports(): SqliteImports {
    return (this.importsPart ??= new SqliteImports(this.db));
  }
  private importsPart?: SqliteImports;

  async putImportedRecords(jobId: string, records: ImportedRecord[]): Promise<number> {
    return this.imports.put(jobId, records);
  }

  async getImportedRecord(jobId: string, id: string): Promise<ImportedRecord | undefined> {
    return this.imports.get(jobId, id);
  }

  async listImportedRecords(jobId: string, query: ImportedQuery): Promise<ImportedRecord[]> {
    return this.imports.list(jobId, query);
  }

  async saveImport(imp: ArchiveImport): Promise<void> {
    this.imports.save(imp);
  }

  async listImports(): Promise<ArchiveImport[]> {
    return this.imports.listImports();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
