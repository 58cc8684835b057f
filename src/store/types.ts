/**
 * Everything the connector keeps, behind one interface with two adapters: SQLite (embedded
 * default, DATA_DIR) and Azure Tables + Queues (STORAGE_CONNECTION_STRING). Values handed in and
 * out are plaintext; adapters encrypt secrets (settings, tokens, SAS URLs) before they touch disk.
 * Every method is async so that a remote adapter fits the same shape.
 */

export const SETTING_KEYS = [
  'TwitterApiKey',
  'TwitterApiSecretKey',
  'TwitterAccessToken',
  'TwitterAccessTokenSecret',
  'AADAppId',
  'AADAppSecret',
  // What to archive besides the account's own posts (not secrets): 'true' or 'false', sealed like
  // the rest since they share one table; the API shows them as JSON booleans (src/setup/settings.ts).
  'ArchiveMentions',
  'ArchiveDirectMessages',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type Settings = Partial<Record<SettingKey, string>>;

/** A temporary OAuth 1.0a request token, bound to the job whose setup page asked for it. */
export interface RequestToken {
  token: string;
  tokenSecret: string;
  jobId: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface JobAuthorization {
  accountId: string;
  accountUsername: string;
  accessToken: string;
  accessSecret: string;
}

export interface Job {
  jobId: string;
  tenantId: string | null;
  accountId: string | null;
  accountUsername: string | null;
  /** Display name, recorded by SavePage. */
  accountName: string | null;
  accessToken: string | null;
  accessSecret: string | null;
  /** SavePage has recorded the job ↔ account mapping. */
  saved: boolean;
  /** Newest post id archived and reported; advances only after a report was accepted. */
  sinceId: string | null;
  needsRelogin: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A download request from the Microsoft 365 Import service, as queued for the worker. */
export interface TaskMessage {
  jobId: string;
  taskId: string;
  startTime: string;
  endTime: string;
  dirtyEntities: string[] | null;
  blobSasUri: string;
  enqueuedAt: string;
}

export interface Lease {
  task: TaskMessage;
  /** Opaque; proves the holder still owns the lease (a row version or a pop receipt). */
  leaseId: string;
  /** How many times this task has been leased, this one included. */
  dequeueCount: number;
}

export type TaskStatus = 'queued' | 'running' | 'success' | 'temporary_failure' | 'permanent_failure';

export interface TaskRun {
  jobId: string;
  taskId: string;
  windowStart: string;
  windowEnd: string;
  status: TaskStatus;
  items: number;
  attachmentsSkipped: number;
  daysOverCap: string[];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  /**
   * What the history says beside the outcome, none of it a failure: a window beyond X's reach for
   * mentions (newest 800) or DMs (30 days), an optional source paused by the monthly budget…
   */
  notes?: string[];
  /** The X app permission X said the job's tokens lack (DMs): add it, then sign the job in again. */
  missingXPermission?: string | null;
  /** The Event API accepted the report for this task. */
  reported: boolean;
  /** The newest post id of a reported run: the job's SinceId moves to it (again, after a crash). */
  newestId?: string | null;
  /**
   * The days (YYYY-MM-DD) on which the ledger holds this task's accepted count: a later run of
   * the task that fails, or no longer has items on one of them, gives that count back.
   */
  reservedDays?: string[];
  /** SHA-256 of the task's archive manifest (the archive copy on, the task delivered). */
  manifestSha256?: string | null;
  /** How far a running task has got (TaskBook writes it at most about once a second). */
  progress?: TaskProgress;
}

/** What a running task is doing, for the status page. */
export interface TaskProgress {
  phase: 'fetching' | 'counting' | 'uploading' | 'reporting';
  postsFetched: number;
  itemsUploaded: number;
  /** Items counted for delivery (days within the cap); null until counted. */
  itemsTotal: number | null;
  attachmentsSkipped: number;
  /** Waiting for X's rate-limit reset: when it resumes (ISO 8601); null when not waiting. */
  resumesAt: string | null;
  updatedAt: string;
}

/** One worker process's heartbeat, as the status page lists it. */
export interface WorkerBeat {
  /** Unique per process (host, pid and start time). */
  instanceId: string;
  host: string;
  mode: 'all' | 'worker';
  version: string;
  startedAt: string;
  lastBeatAt: string;
  /** The task it is running, if any. */
  task: { jobId: string; taskId: string } | null;
  /** Set when it stopped cleanly; a crashed one just stops beating. */
  stoppedAt: string | null;
}

/** A post the connector delivered for a job: what deletion checks (and manifests) list. */
export interface ArchivedPost {
  postId: string;
  /** ISO 8601, the post's created_at. */
  createdAt: string;
  /** YYYY-MM-DD (UTC) of createdAt. */
  day: string;
  conversationId: string | null;
  /** The task that delivered it (the latest, when delivered again). */
  taskId: string;
}

/** X reported that an archived post is gone (deleted, protected, suspended…). */
export interface Deletion {
  jobId: string;
  postId: string;
  /** X's action, e.g. "delete". */
  action: string;
  /** X's reason, e.g. "deleted", "suspended"; null when X gave none. */
  reason: string | null;
  /** When X says it happened (its created_at / redacted_at); null when unknown. */
  occurredAt: string | null;
  /** When the connector learned it: the deletion Item's SentTimeUtc. */
  learnedAt: string;
  /** The archived post's conversation, for the deletion Item's ThreadId. */
  conversationId: string | null;
  /** How it was learned: X's batch compliance, or a lookup by id (DirtyEntities). */
  via: 'compliance' | 'lookup' | 'archive';
  /** The task that delivers its deletion Item; null until one takes it. */
  claimedBy: string | null;
}

/** The last deletion check of a job, for the status page. */
export interface DeletionCheck {
  jobId: string;
  at: string;
  ok: boolean;
  /** Archived posts asked about. */
  checked: number;
  /** New deletions found. */
  found: number;
  /** Why it failed and what to change, when it did. */
  message: string | null;
}

export interface DayReservation {
  /** Days (YYYY-MM-DD, UTC) whose items this task may upload. */
  accepted: string[];
  /** Days refused because the job's total would exceed the cap, with the total it would have reached. */
  rejected: { day: string; wouldBe: number }[];
}

export interface DayTotal {
  jobId: string;
  day: string;
  /** Items counted (uploaded or being uploaded) for that day. */
  items: number;
  /** Items refused for that day because of the cap. */
  refused: number;
}

/**
 * What the audit log records (README "Audit log"). Never a secret: settings by key name only.
 */
export const AUDIT_KINDS = [
  'settings.saved',
  /** Failed sign-ins of one client address in one 15-minute window, as one summary. */
  'signin.failed',
  /** The failed sign-in limit started refusing an address (once per address and window). */
  'signin.lockout',
  /** A job's first X sign-in. */
  'job.authorized',
  /** A sign-in again for a job that already had an account. */
  'job.reauthorized',
  /** The setup page recorded the job ↔ account mapping (SavePage). */
  'job.setup',
  'job.remediation',
  'job.deleted',
  'task.queued',
  'task.reported',
  'deletion.found',
  'verify.run',
  /** The account's own X archive imported into a job (file, SHA-256, what it added). */
  'archive.imported',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];
export type AuditDetails = Record<string, unknown>;

/** One entry of the append-only, hash-chained audit log (src/audit/hash.ts says how it is hashed). */
export interface AuditEntry {
  /** 1, 2, 3, … without gaps: the order entries were appended in, across every instance. */
  seq: number;
  /** ISO 8601 (toISOString form). */
  at: string;
  kind: AuditKind;
  details: AuditDetails;
  /** The previous entry's hash; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of seq, at, kind, details and prevHash. */
  hash: string;
}

/** The last entry appended, as the store keeps it beside the log: a removed last entry shows against it. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditQuery {
  /** Entries at or after this time (ISO 8601). */
  from?: string;
  /** Entries at or before this time (ISO 8601). */
  to?: string;
  /** Newest first (the default, for the status page) or oldest first (for export and verify). */
  order?: 'newest' | 'oldest';
  /** Only entries with a smaller seq: the next page, newest first. */
  before?: number;
  /** Only entries with a larger seq: the next page, oldest first. */
  after?: number;
  /** At most this many; default 100, at most 1000. */
  limit?: number;
}

export const AUDIT_PAGE_MAX = 1000;

/** What was read from X, as X charges for it: requests made and resources returned. */
export interface XReads {
  requests: number;
  posts: number;
  users: number;
  dmEvents: number;
}

/** One counter: a job's reads from one source on one UTC day (of the reading). */
export interface XUsage extends XReads {
  jobId: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** The source's name: timeline, dirtyEntities, mentions, directMessages. */
  source: string;
}

import type { ArchiveImport, ImportedQuery, ImportedRecord } from './importTypes';

export interface Store {
  readonly kind: 'sqlite' | 'azure';

  getSettings(): Promise<Settings>;
  /** Sets the given keys; keys not present are kept as they are. */
  saveSettings(patch: Settings): Promise<void>;

  putRequestToken(token: RequestToken): Promise<void>;
  /** Removes and returns the token (single use), expired or not; undefined when unknown. */
  takeRequestToken(token: string): Promise<RequestToken | undefined>;
  deleteRequestTokens(jobId: string): Promise<number>;

  getJob(jobId: string): Promise<Job | undefined>;
  listJobs(): Promise<Job[]>;
  /** Creates the job or replaces its account tokens; clears needsRelogin. A different account resets sinceId. */
  saveJobAuthorization(jobId: string, auth: JobAuthorization): Promise<Job>;
  /** Records the job ↔ account mapping chosen on the setup page. */
  saveJobAccount(jobId: string, mapping: { tenantId: string | null; accountId: string; accountName: string }): Promise<Job>;
  /** Jobs (other than exceptJobId) already archiving this account. */
  jobsForAccount(accountId: string, exceptJobId?: string): Promise<string[]>;
  setNeedsRelogin(jobId: string, needsRelogin: boolean): Promise<boolean>;
  /** Moves sinceId forward (numerically); never backwards. */
  advanceSinceId(jobId: string, sinceId: string): Promise<void>;
  /** Deletes the job, its tokens and its request tokens; false when unknown. */
  deleteJob(jobId: string): Promise<boolean>;

  /** Durably queues the task. A task with the same jobId+taskId still queued is not queued twice. */
  enqueueTask(task: TaskMessage): Promise<void>;
  /** Leases the oldest visible task for visibilityMs; undefined when none. */
  leaseTask(visibilityMs: number): Promise<Lease | undefined>;
  /** Keeps a lease alive; false when it was lost (expired and taken by someone else). */
  extendLease(lease: Lease, visibilityMs: number): Promise<boolean>;
  /** Removes a finished task from the queue. */
  completeTask(lease: Lease): Promise<void>;
  /** Gives the task back to the queue at once (shutdown). */
  releaseTask(lease: Lease): Promise<void>;
  /**
   * Gives back at once the leases whose holder is known to be dead (a process of this host that
   * is gone), so that a restarted worker need not wait out their visibility; returns those tasks.
   * Where a lease names no holder (Azure queues), nothing: such leases run out on their own.
   */
  releaseDeadLeases(): Promise<{ jobId: string; taskId: string }[]>;
  queueDepth(): Promise<number>;
  /** When the oldest task still in the queue (waiting or leased) was queued; null when empty. */
  oldestQueuedAt(): Promise<string | null>;

  /** Creates or replaces the heartbeat of beat.instanceId. */
  recordHeartbeat(beat: WorkerBeat): Promise<void>;
  /** Every heartbeat kept, newest beat first. */
  listHeartbeats(): Promise<WorkerBeat[]>;
  /** Forgets heartbeats whose last beat is older than `before` (ISO 8601); returns how many. */
  pruneHeartbeats(before: string): Promise<number>;

  /**
   * Counts a task's items per UTC day against the job's cap, all or nothing per day.
   * Idempotent per task: a retried task replaces its own earlier counts instead of adding to them.
   */
  reserveDays(jobId: string, taskId: string, counts: Map<string, number>, cap: number): Promise<DayReservation>;
  /**
   * Gives back the task's accepted counts on those days: it failed, so its items are not archived
   * and must not use up the cap of a later task. Its refused counts stay (the dashboard shows them).
   */
  releaseDays(jobId: string, taskId: string, days: string[]): Promise<void>;
  dayTotals(sinceDay: string): Promise<DayTotal[]>;

  /** Creates or replaces the history row of a task (keyed by jobId + taskId). */
  recordTaskRun(run: TaskRun): Promise<void>;
  getTaskRun(jobId: string, taskId: string): Promise<TaskRun | undefined>;
  listTaskRuns(limit: number): Promise<TaskRun[]>;

  /** Adds reads to the job's counter for that day and source (created at zero). */
  addXUsage(jobId: string, day: string, source: string, reads: XReads): Promise<void>;
  /** Every job's counters from sinceDay (YYYY-MM-DD) on, by day, job and source. */
  listXUsage(sinceDay: string): Promise<XUsage[]>;

  /** Records (or records again) posts delivered for a job. */
  recordArchived(jobId: string, posts: ArchivedPost[]): Promise<void>;
  getArchived(jobId: string, postId: string): Promise<ArchivedPost | undefined>;
  /** Archived posts of the job created on sinceDay or later, in id order, limit at a time after afterPostId. */
  listArchived(jobId: string, sinceDay: string, limit: number, afterPostId?: string): Promise<ArchivedPost[]>;

  /** Records a deletion once per job and post; false when it was known already. */
  recordDeletion(deletion: Omit<Deletion, 'claimedBy'>): Promise<boolean>;
  /**
   * Gives the task every deletion of its job learned up to learnedUpTo that no task has taken,
   * and returns all the task holds (a re-run of the task gets the same ones again).
   */
  claimDeletions(jobId: string, taskId: string, learnedUpTo: string): Promise<Deletion[]>;
  /** The task failed: its deletions go to a later task. */
  releaseDeletions(jobId: string, taskId: string): Promise<void>;
  /** Newest learned first. */
  listDeletions(limit: number): Promise<Deletion[]>;
  saveDeletionCheck(check: DeletionCheck): Promise<void>;
  listDeletionChecks(): Promise<DeletionCheck[]>;

  /**
   * Appends one entry to the audit log, chained to the last one; atomic across instances (two
   * appenders never take the same seq or fork the chain). Nothing updates or removes entries.
   * `at` defaults to now. Throws TypeError for an unknown kind or details that name a secret.
   */
  appendAudit(entry: { kind: AuditKind; at?: string; details: AuditDetails }): Promise<AuditEntry>;
  /** A page of the audit log (see AuditQuery); entries come back exactly as stored, for verification. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
  /** The last entry appended (seq and hash); undefined while the log is empty. */
  auditHead(): Promise<AuditHead | undefined>;

  // Imported X archives (src/archiveImport): the imports, and their records by id.
  /** Adds the records the job does not have yet (by id); returns how many it added. */
  putImportedRecords(jobId: string, records: ImportedRecord[]): Promise<number>;
  getImportedRecord(jobId: string, id: string): Promise<ImportedRecord | undefined>;
  listImportedRecords(jobId: string, query: ImportedQuery): Promise<ImportedRecord[]>;
  /** Creates or replaces the import (jobId, importId). */
  saveImport(imp: ArchiveImport): Promise<void>;
  /** Every job's imports, newest first. */
  listImports(): Promise<ArchiveImport[]>;

  /** Cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
