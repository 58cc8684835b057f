import { TableTransaction, type TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { SecretBox } from '../../crypto/secretBox';
import { purposes } from '../shared';
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
  type WorkerBeat,
} from '../types';
import { AzureArchived } from './azureArchived';
import { AzureAudit } from './azureAudit';
import { AzureHeartbeats } from './azureHeartbeats';
import { AzureImports } from './azureImports';
import type { ArchiveImport, ImportedQuery, ImportedRecord } from '../importTypes';
import { AzureJobs } from './azureJobs';
import { AzureLedger } from './azureLedger';
import { AzureTaskQueue } from './azureQueue';
import { AzureTaskRuns } from './azureTaskRuns';
import { checkPrefix, tableClient, translate, unless404 } from './tables';
import type { XReads, XUsage } from '../types';
import { AzureXUsage } from './azureXUsage';

export interface AzureStoreOptions {
  /** Prefix of every table and queue name, so several deployments (or test suites) can share an account. */
  prefix?: string;
}

const SETTINGS_PARTITION = 'settings';

/**
 * Azure Tables + one Azure Storage queue (STORAGE_CONNECTION_STRING), for several instances
 * sharing one store. Behaves as the SQLite adapter does; where Azure cannot (queue order,
 * whole-second visibility, approximate depth) the difference is noted where it arises.
 * Tables: <prefix>settings, <prefix>reqtokens, <prefix>jobs, <prefix>tasks, <prefix>ledger,
 * <prefix>runs, <prefix>archived, <prefix>deletions, <prefix>delchecks, <prefix>audit, <prefix>beats, <prefix>imported, <prefix>imports; queue: <prefix>-tasks.
 */
export class AzureStore implements Store {
  readonly kind = 'azure' as const;

  private constructor(
    private readonly settings: TableClient,
    private readonly jobs: AzureJobs,
    private readonly queue: AzureTaskQueue,
    private readonly queueClient: QueueClient,
    private readonly ledger: AzureLedger,
    private readonly runs: AzureTaskRuns,
    private readonly archive: AzureArchived,
    private readonly audit: AzureAudit,
    private readonly box: SecretBox,
    private readonly beats: AzureHeartbeats,
  ) {}

  static async open(
    connectionString: string,
    box: SecretBox,
    now: () => Date = () => new Date(),
    options: AzureStoreOptions = {},
  ): Promise<AzureStore> {
    const prefix = checkPrefix(options.prefix ?? 'xconn');
    const table = (name: string): TableClient => tableClient(connectionString, `${prefix}${name}`);
    const [settings, tokens, jobs, tasks, ledger, runs, archived, deletions, delchecks, audit] = [
      'settings',
      'reqtokens',
      'jobs',
      'tasks',
      'ledger',
      'runs',
      'archived',
      'deletions',
      'delchecks',
      'audit',
    ].map(table) as [TableClient, TableClient, TableClient, TableClient, TableClient, TableClient, TableClient, TableClient, TableClient, TableClient];
    const queueClient = new QueueClient(connectionString, `${prefix}-tasks`);
    const beats = table('beats');
    const imported = new AzureImports(table('imported'), table('imports'));
    try {
      // createTable succeeds when the table exists, so concurrent starts are fine.
      await Promise.all([
        ...[settings, tokens, jobs, tasks, ledger, runs, archived, deletions, delchecks, audit].map((t) => t.createTable()),
        queueClient.createIfNotExists(),
        beats.createTable(),
        imported.create(),
      ]);
    } catch (err) {
      throw translate(err, 'open');
    }
    const store = new AzureStore(
      settings,
      new AzureJobs(jobs, tokens, box, now),
      new AzureTaskQueue(queueClient, tasks, box),
      queueClient,
      new AzureLedger(ledger),
      new AzureTaskRuns(runs, now),
      new AzureArchived(archived, deletions, delchecks),
      new AzureAudit(audit, now),
      box,
      new AzureHeartbeats(beats),
    );
    store.importsPart = imported;
    return store;
  }

  /** Azure SDK failures that may pass become TransientError at this boundary. */
  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translate(err, op);
    }
  }

  // Settings ---------------------------------------------------------------------------------

  getSettings(): Promise<Settings> {
    return this.call('getSettings', async () => {
      const out: Settings = {};
      const rows = this.settings.listEntities<{ rowKey: string; value: string }>({
        queryOptions: { filter: `PartitionKey eq '${SETTINGS_PARTITION}'` },
      });
      for await (const row of rows) {
        if ((SETTING_KEYS as readonly string[]).includes(row.rowKey)) {
          out[row.rowKey as keyof Settings] = this.box.open(row.value, purposes.setting(row.rowKey));
        }
      }
      return out;
    });
  }

  saveSettings(patch: Settings): Promise<void> {
    return this.call('saveSettings', async () => {
      // One partition, one transaction: a patch lands whole or not at all, as in SQLite.
      const tx = new TableTransaction();
      for (const key of SETTING_KEYS) {
        const value = patch[key];
        if (value === undefined) continue;
        tx.upsertEntity({ partitionKey: SETTINGS_PARTITION, rowKey: key, value: this.box.seal(value, purposes.setting(key)) }, 'Replace');
      }
      if (tx.actions.length > 0) await this.settings.submitTransaction(tx.actions);
    });
  }

  // Request tokens and jobs ------------------------------------------------------------------

  putRequestToken(token: RequestToken): Promise<void> {
    return this.call('putRequestToken', () => this.jobs.putRequestToken(token));
  }
  takeRequestToken(token: string): Promise<RequestToken | undefined> {
    return this.call('takeRequestToken', () => this.jobs.takeRequestToken(token));
  }
  deleteRequestTokens(jobId: string): Promise<number> {
    return this.call('deleteRequestTokens', () => this.jobs.deleteRequestTokens(jobId));
  }
  getJob(jobId: string): Promise<Job | undefined> {
    return this.call('getJob', () => this.jobs.getJob(jobId));
  }
  listJobs(): Promise<Job[]> {
    return this.call('listJobs', () => this.jobs.listJobs());
  }
  saveJobAuthorization(jobId: string, auth: JobAuthorization): Promise<Job> {
    return this.call('saveJobAuthorization', () => this.jobs.saveJobAuthorization(jobId, auth));
  }
  saveJobAccount(jobId: string, mapping: { tenantId: string | null; accountId: string; accountName: string }): Promise<Job> {
    return this.call('saveJobAccount', () => this.jobs.saveJobAccount(jobId, mapping));
  }
  jobsForAccount(accountId: string, exceptJobId?: string): Promise<string[]> {
    return this.call('jobsForAccount', () => this.jobs.jobsForAccount(accountId, exceptJobId));
  }
  setNeedsRelogin(jobId: string, needsRelogin: boolean): Promise<boolean> {
    return this.call('setNeedsRelogin', () => this.jobs.setNeedsRelogin(jobId, needsRelogin));
  }
  advanceSinceId(jobId: string, sinceId: string): Promise<void> {
    return this.call('advanceSinceId', () => this.jobs.advanceSinceId(jobId, sinceId));
  }
  deleteJob(jobId: string): Promise<boolean> {
    return this.call('deleteJob', () => this.jobs.deleteJob(jobId));
  }

  // Task queue -------------------------------------------------------------------------------

  enqueueTask(task: TaskMessage): Promise<void> {
    return this.call('enqueueTask', () => this.queue.enqueue(task));
  }
  /** Azure queues are FIFO only approximately, and visibility is rounded up to whole seconds. */
  leaseTask(visibilityMs: number): Promise<Lease | undefined> {
    return this.call('leaseTask', () => this.queue.lease(visibilityMs));
  }
  /** Updates lease.leaseId in place: the pop receipt changes with every update of the message. */
  extendLease(lease: Lease, visibilityMs: number): Promise<boolean> {
    return this.call('extendLease', () => this.queue.extend(lease, visibilityMs));
  }
  completeTask(lease: Lease): Promise<void> {
    return this.call('completeTask', () => this.queue.complete(lease));
  }
  releaseTask(lease: Lease): Promise<void> {
    return this.call('releaseTask', () => this.queue.release(lease));
  }
  // Archived posts and deletions --------------------------------------------------------------

  recordArchived(jobId: string, posts: ArchivedPost[]): Promise<void> {
    return this.call('recordArchived', () => this.archive.record(jobId, posts));
  }
  getArchived(jobId: string, postId: string): Promise<ArchivedPost | undefined> {
    return this.call('getArchived', () => this.archive.get(jobId, postId));
  }
  listArchived(jobId: string, sinceDay: string, limit: number, afterPostId?: string): Promise<ArchivedPost[]> {
    return this.call('listArchived', () => this.archive.list(jobId, sinceDay, limit, afterPostId));
  }
  recordDeletion(deletion: Omit<Deletion, 'claimedBy'>): Promise<boolean> {
    return this.call('recordDeletion', () => this.archive.recordDeletion(deletion));
  }
  claimDeletions(jobId: string, taskId: string, learnedUpTo: string): Promise<Deletion[]> {
    return this.call('claimDeletions', () => this.archive.claim(jobId, taskId, learnedUpTo));
  }
  releaseDeletions(jobId: string, taskId: string): Promise<void> {
    return this.call('releaseDeletions', () => this.archive.release(jobId, taskId));
  }
  listDeletions(limit: number): Promise<Deletion[]> {
    return this.call('listDeletions', () => this.archive.listDeletions(limit));
  }
  saveDeletionCheck(check: DeletionCheck): Promise<void> {
    return this.call('saveDeletionCheck', () => this.archive.saveCheck(check));
  }
  listDeletionChecks(): Promise<DeletionCheck[]> {
    return this.call('listDeletionChecks', () => this.archive.listChecks());
  }

  // Audit log ---------------------------------------------------------------------------------

  appendAudit(entry: { kind: AuditKind; at?: string; details: AuditDetails }): Promise<AuditEntry> {
    return this.call('appendAudit', () => this.audit.append(entry));
  }
  listAudit(query?: AuditQuery): Promise<AuditEntry[]> {
    return this.call('listAudit', () => this.audit.list(query));
  }
  auditHead(): Promise<AuditHead | undefined> {
    return this.call('auditHead', () => this.audit.head());
  }

  /** A queue message names no holder: a dead instance's lease runs out after its (short) visibility. */
  async releaseDeadLeases(): Promise<{ jobId: string; taskId: string }[]> {
    return [];
  }
  queueDepth(): Promise<number> {
    return this.call('queueDepth', () => this.queue.depth());
  }
  oldestQueuedAt(): Promise<string | null> {
    return this.call('oldestQueuedAt', () => this.queue.oldestQueuedAt());
  }

  // Worker heartbeats -------------------------------------------------------------------------

  recordHeartbeat(beat: WorkerBeat): Promise<void> {
    return this.call('recordHeartbeat', () => this.beats.record(beat));
  }
  listHeartbeats(): Promise<WorkerBeat[]> {
    return this.call('listHeartbeats', () => this.beats.list());
  }
  pruneHeartbeats(before: string): Promise<number> {
    return this.call('pruneHeartbeats', () => this.beats.prune(before));
  }

  // Daily ledger and task history ------------------------------------------------------------

  reserveDays(jobId: string, taskId: string, counts: Map<string, number>, cap: number): Promise<DayReservation> {
    return this.call('reserveDays', () => this.ledger.reserveDays(jobId, taskId, counts, cap));
  }
  releaseDays(jobId: string, taskId: string, days: string[]): Promise<void> {
    return this.call('releaseDays', () => this.ledger.releaseDays(jobId, taskId, days));
  }
  dayTotals(sinceDay: string): Promise<DayTotal[]> {
    return this.call('dayTotals', () => this.ledger.dayTotals(sinceDay));
  }
  recordTaskRun(run: TaskRun): Promise<void> {
    return this.call('recordTaskRun', () => this.runs.record(run));
  }
  getTaskRun(jobId: string, taskId: string): Promise<TaskRun | undefined> {
    return this.call('getTaskRun', () => this.runs.get(jobId, taskId));
  }
  listTaskRuns(limit: number): Promise<TaskRun[]> {
    return this.call('listTaskRuns', () => this.runs.list(limit));
  }

  /** In the settings table, partition `xusage` (./azureXUsage.ts). */
  private get xUsage(): AzureXUsage {
    return new AzureXUsage(this.settings);
  }
  addXUsage(jobId: string, day: string, source: string, reads: XReads): Promise<void> {
    return this.call('addXUsage', () => this.xUsage.add(jobId, day, source, reads));
  }
  listXUsage(sinceDay: string): Promise<XUsage[]> {
    return this.call('listXUsage', () => this.xUsage.list(sinceDay));
  }

  // Imported X archives ------------------------------------------------------------------------

  private importsPart!: AzureImports;
  putImportedRecords(jobId: string, records: ImportedRecord[]): Promise<number> {
    return this.call('putImportedRecords', () => this.importsPart.put(jobId, records));
  }
  getImportedRecord(jobId: string, id: string): Promise<ImportedRecord | undefined> {
    return this.call('getImportedRecord', () => this.importsPart.get(jobId, id));
  }
  listImportedRecords(jobId: string, query: ImportedQuery): Promise<ImportedRecord[]> {
    return this.call('listImportedRecords', () => this.importsPart.list(jobId, query));
  }
  saveImport(imp: ArchiveImport): Promise<void> {
    return this.call('saveImport', () => this.importsPart.save(imp));
  }
  listImports(): Promise<ArchiveImport[]> {
    return this.call('listImports', () => this.importsPart.listImports());
  }

  ping(): Promise<void> {
    return this.call('ping', async () => {
      await Promise.all([unless404(this.settings.getEntity(SETTINGS_PARTITION, '~ping')), this.queueClient.getProperties()]);
    });
  }

  /** The SDK clients hold no connections of their own that need closing. */
  async close(): Promise<void> {}
}
