/** Forward-only migrations; PRAGMA user_version records how many have run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,          -- sealed with SecretBox
    updated_at TEXT NOT NULL
  );
  CREATE TABLE request_tokens (
    token_key TEXT PRIMARY KEY,   -- SHA-256 of the oauth_token, never the token itself
    token_secret TEXT NOT NULL,   -- sealed
    job_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX request_tokens_job ON request_tokens (job_id);
  CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    tenant_id TEXT,
    account_id TEXT,
    account_username TEXT,
    account_name TEXT,
    access_token TEXT,            -- sealed
    access_secret TEXT,           -- sealed
    saved INTEGER NOT NULL DEFAULT 0,
    since_id TEXT,
    needs_relogin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX jobs_account ON jobs (account_id);
  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    payload TEXT NOT NULL,        -- sealed TaskMessage JSON (it carries the SAS URL)
    visible_at INTEGER NOT NULL,  -- epoch ms; a lease pushes it into the future
    lease_id TEXT,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    enqueued_at TEXT NOT NULL,
    UNIQUE (job_id, task_id)
  );
  CREATE INDEX tasks_visible ON tasks (visible_at, id);
  CREATE TABLE ledger (
    job_id TEXT NOT NULL,
    day TEXT NOT NULL,            -- YYYY-MM-DD (UTC) of the items' SentTimeUtc
    task_id TEXT NOT NULL,
    items INTEGER NOT NULL,
    accepted INTEGER NOT NULL,    -- 0: refused because the day would exceed the cap
    PRIMARY KEY (job_id, day, task_id)
  );
  CREATE INDEX ledger_day ON ledger (day);
  CREATE TABLE task_runs (
    job_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    data TEXT NOT NULL,           -- TaskRun JSON (no secrets: the SAS URL is not part of it)
    updated_at TEXT NOT NULL,
    PRIMARY KEY (job_id, task_id)
  );
  CREATE INDEX task_runs_updated ON task_runs (updated_at);
  `,
  // Who holds a lease (host, pid, process start time): a restarted worker hands back the leases
  // of dead processes at once instead of waiting out their visibility.
  `
  ALTER TABLE tasks ADD COLUMN lease_holder TEXT;
  `,
  // The posts each job archived, and what X later said of them (deletion checks).
  `
  CREATE TABLE archived_posts (
    job_id TEXT NOT NULL,
    post_key TEXT NOT NULL,       -- the id zero-padded to 20 digits, so that text order is id order
    post_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    day TEXT NOT NULL,
    conversation_id TEXT,
    task_id TEXT NOT NULL,
    PRIMARY KEY (job_id, post_key)
  );
  CREATE INDEX archived_posts_day ON archived_posts (job_id, day);
  CREATE TABLE deletions (
    job_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    data TEXT NOT NULL,           -- Deletion JSON without claimed_by
    learned_at TEXT NOT NULL,
    claimed_by TEXT,
    PRIMARY KEY (job_id, post_id)
  );
  CREATE INDEX deletions_learned ON deletions (learned_at);
  CREATE TABLE deletion_checks (
    job_id TEXT PRIMARY KEY,
    data TEXT NOT NULL
  );
  `,
  // The audit log: append-only and hash-chained (src/audit/hash.ts). The triggers refuse changes
  // through SQL; anyone who can write the file can drop them, which the chain and the head show.
  `
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,      -- 1, 2, 3, … without gaps
    at TEXT NOT NULL,             -- toISOString()
    kind TEXT NOT NULL,
    details TEXT NOT NULL,        -- canonical JSON, never a secret
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head WHEN NEW.seq <> OLD.seq + 1
    BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward by one'); END;
  `,
  // Worker heartbeats: the status page lists each instance and says when none has run lately.
  `
  CREATE TABLE heartbeats (
    instance_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,           -- WorkerBeat JSON
    last_beat_at TEXT NOT NULL
  );
  `,
  // What each job read from X, per UTC day and source, as X charges for it (the status page's cost table).
  `
  CREATE TABLE x_usage (
    job_id TEXT NOT NULL,
    day TEXT NOT NULL,            -- YYYY-MM-DD (UTC) of the reading
    source TEXT NOT NULL,
    requests INTEGER NOT NULL,
    posts INTEGER NOT NULL,
    users INTEGER NOT NULL,
    dm_events INTEGER NOT NULL,
    PRIMARY KEY (job_id, day, source)
  );
  CREATE INDEX x_usage_day ON x_usage (day);
  `,
  // Imported X archives: the account's own archive zip, its posts and DMs kept by id per job.
  `
  CREATE TABLE imported_records (
    job_id TEXT NOT NULL,
    id_key TEXT NOT NULL,         -- the id zero-padded to 20 digits: id order
    id TEXT NOT NULL,
    kind TEXT NOT NULL,           -- post | dm
    created_at TEXT NOT NULL,     -- ISO 8601
    import_id TEXT NOT NULL,      -- SHA-256 of the zip
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, id_key)
  );
  CREATE INDEX imported_records_time ON imported_records (job_id, created_at);
  CREATE TABLE archive_imports (
    job_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    data TEXT NOT NULL,           -- ArchiveImport JSON
    PRIMARY KEY (job_id, import_id)
  );
  `,
];
