import { odata, type TableClient } from '@azure/data-tables';
import type { SecretBox } from '../../crypto/secretBox';
import { NotFoundError } from '../../errors';
import { compareIds, purposes, tokenKey } from '../shared';
import type { Job, JobAuthorization, RequestToken } from '../types';
import { hasStatus, keyOf, optimistic, unless404 } from './tables';

/** A job row. Azure Tables has no nulls: an absent property reads as null. */
interface JobEntity {
  partitionKey: string;
  rowKey: string;
  jobId: string;
  tenantId?: string;
  accountId?: string;
  accountUsername?: string;
  accountName?: string;
  accessToken?: string; // sealed
  accessSecret?: string; // sealed
  saved: boolean;
  sinceId?: string;
  needsRelogin: boolean;
  createdAt: string;
  updatedAt: string;
}

interface RequestTokenEntity {
  partitionKey: string; // tokenKey(): a hash, never the token itself
  rowKey: string;
  jobId: string;
  tokenSecret: string; // sealed
  createdAt: string;
  expiresAt: string;
}

const ROW = '';

/**
 * Jobs (one entity per job, partition = encoded job id) and OAuth request tokens. Every job
 * change is read-modify-write with If-Match on the ETag, retried on 412, so two instances
 * changing one job (a relogin flag and a sinceId, say) never lose each other's update.
 */
export class AzureJobs {
  constructor(
    private readonly jobs: TableClient,
    private readonly tokens: TableClient,
    private readonly box: SecretBox,
    private readonly now: () => Date,
  ) {}

  // Request tokens -----------------------------------------------------------------------------

  async putRequestToken(t: RequestToken): Promise<void> {
    const key = tokenKey(t.token);
    const entity: RequestTokenEntity = {
      partitionKey: key,
      rowKey: ROW,
      jobId: t.jobId,
      tokenSecret: this.box.seal(t.tokenSecret, purposes.requestToken(key)),
      createdAt: t.createdAt.toISOString(),
      expiresAt: t.expiresAt.toISOString(),
    };
    await this.tokens.upsertEntity(entity, 'Replace');
  }

  async takeRequestToken(token: string): Promise<RequestToken | undefined> {
    const key = tokenKey(token);
    const found = await unless404(this.tokens.getEntity<RequestTokenEntity>(key, ROW));
    if (!found) return undefined;
    try {
      // Deleting with the ETag just read makes read-and-consume atomic: of two concurrent
      // takers only one delete succeeds; the other sees 404 (or 412 if it was replaced).
      await this.tokens.deleteEntity(key, ROW, { etag: found.etag });
    } catch (err) {
      if (hasStatus(err, 404, 412)) return undefined;
      throw err;
    }
    return {
      token,
      tokenSecret: this.box.open(found.tokenSecret, purposes.requestToken(key)),
      jobId: found.jobId,
      createdAt: new Date(found.createdAt),
      expiresAt: new Date(found.expiresAt),
    };
  }

  async deleteRequestTokens(jobId: string): Promise<number> {
    let deleted = 0;
    const rows = this.tokens.listEntities<RequestTokenEntity>({
      queryOptions: { filter: odata`jobId eq ${jobId}`, select: ['PartitionKey', 'RowKey'] },
    });
    for await (const row of rows) {
      if (await unless404(this.tokens.deleteEntity(row.partitionKey, row.rowKey))) deleted++;
    }
    return deleted;
  }

  // Jobs -------------------------------------------------------------------------------------

  private toJob(e: JobEntity): Job {
    return {
      jobId: e.jobId,
      tenantId: e.tenantId ?? null,
      accountId: e.accountId ?? null,
      accountUsername: e.accountUsername ?? null,
      accountName: e.accountName ?? null,
      accessToken: e.accessToken === undefined ? null : this.box.open(e.accessToken, purposes.accessToken(e.jobId)),
      accessSecret: e.accessSecret === undefined ? null : this.box.open(e.accessSecret, purposes.accessSecret(e.jobId)),
      saved: e.saved === true,
      sinceId: e.sinceId ?? null,
      needsRelogin: e.needsRelogin === true,
      createdAt: new Date(e.createdAt),
      updatedAt: new Date(e.updatedAt),
    };
  }

  private async read(jobId: string): Promise<(JobEntity & { etag: string }) | undefined> {
    const found = await unless404(this.jobs.getEntity<JobEntity>(keyOf(jobId), ROW));
    if (!found) return undefined;
    return withoutNulls({ ...found, etag: found.etag });
  }

  /**
   * Applies `change` to the current row and writes it only if nobody wrote in between; returns
   * the row as written, the unchanged row when `change` returns undefined, or undefined when the
   * job does not exist.
   */
  private async update(
    jobId: string,
    what: string,
    change: (current: JobEntity) => JobEntity | undefined,
  ): Promise<JobEntity | undefined> {
    return optimistic(what, async () => {
      const current = await this.read(jobId);
      if (!current) return undefined;
      const { etag, ...row } = current;
      const next = change(row);
      if (!next) return row;
      await this.jobs.updateEntity(next, 'Replace', { etag });
      return next;
    });
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const row = await this.read(jobId);
    return row && this.toJob(row);
  }

  async listJobs(): Promise<Job[]> {
    const rows: JobEntity[] = [];
    for await (const e of this.jobs.listEntities<JobEntity & Record<string, unknown>>()) rows.push(withoutNulls(e));
    rows.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return rows.map((r) => this.toJob(r));
  }

  async saveJobAuthorization(jobId: string, auth: JobAuthorization): Promise<Job> {
    const at = this.now().toISOString();
    const accessToken = this.box.seal(auth.accessToken, purposes.accessToken(jobId));
    const accessSecret = this.box.seal(auth.accessSecret, purposes.accessSecret(jobId));
    const written = await optimistic('saveJobAuthorization', async () => {
      const current = await this.read(jobId);
      const base = { partitionKey: keyOf(jobId), rowKey: ROW, jobId, accountId: auth.accountId, accountUsername: auth.accountUsername };
      if (!current) {
        const created: JobEntity = { ...base, accessToken, accessSecret, saved: false, needsRelogin: false, createdAt: at, updatedAt: at };
        await this.jobs.createEntity(created); // 409: created concurrently, decide again
        return created;
      }
      const { etag, ...row } = current;
      // Another account starts over: its posts are not the old account's, so neither the
      // newest archived id nor the setup page's mapping carries over.
      const sameAccount = row.accountId === auth.accountId;
      const next: JobEntity = {
        ...base,
        tenantId: row.tenantId,
        accountName: sameAccount ? row.accountName : undefined,
        accessToken,
        accessSecret,
        saved: sameAccount ? row.saved : false,
        sinceId: sameAccount ? row.sinceId : undefined,
        needsRelogin: false,
        createdAt: row.createdAt,
        updatedAt: at,
      };
      await this.jobs.updateEntity(withoutUndefined(next), 'Replace', { etag });
      return next;
    });
    return this.toJob(written);
  }

  async saveJobAccount(jobId: string, m: { tenantId: string | null; accountId: string; accountName: string }): Promise<Job> {
    const row = await this.update(jobId, 'saveJobAccount', (row) =>
      // Only the account the job is authorized for can be mapped (as in the SQLite adapter).
      row.accountId !== m.accountId
        ? undefined
        : withoutUndefined({ ...row, tenantId: m.tenantId ?? undefined, accountName: m.accountName, saved: true, updatedAt: this.now().toISOString() }),
    );
    if (!row) throw new NotFoundError(`Job ${jobId} does not exist`);
    return this.toJob(row);
  }

  async jobsForAccount(accountId: string, exceptJobId?: string): Promise<string[]> {
    const ids: string[] = [];
    const rows = this.jobs.listEntities<JobEntity>({
      queryOptions: { filter: odata`accountId eq ${accountId} and saved eq true`, select: ['jobId'] },
    });
    for await (const row of rows) if (row.jobId !== exceptJobId) ids.push(row.jobId);
    return ids;
  }

  async setNeedsRelogin(jobId: string, needsRelogin: boolean): Promise<boolean> {
    const row = await this.update(jobId, 'setNeedsRelogin', (row) => ({ ...row, needsRelogin, updatedAt: this.now().toISOString() }));
    return row !== undefined;
  }

  async advanceSinceId(jobId: string, sinceId: string): Promise<void> {
    await this.update(jobId, 'advanceSinceId', (row) =>
      row.sinceId !== undefined && compareIds(row.sinceId, sinceId) >= 0
        ? undefined
        : { ...row, sinceId, updatedAt: this.now().toISOString() },
    );
  }

  async deleteJob(jobId: string): Promise<boolean> {
    await this.deleteRequestTokens(jobId);
    return (await unless404(this.jobs.deleteEntity(keyOf(jobId), ROW))) !== undefined;
  }
}

/** The SDK hands back service metadata and may hand back nulls; keep only our properties. */
function withoutNulls(e: Record<string, unknown>): JobEntity & { etag: string } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === null || v === undefined || k === 'timestamp' || k.startsWith('odata.')) continue;
    out[k] = v;
  }
  return out as unknown as JobEntity & { etag: string };
}

/** Replace writes every property given; an absent optional field must be absent, not undefined. */
function withoutUndefined<T extends object>(e: T): T {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as T;
}
