import { odata, type TableClient } from '@azure/data-tables';
import type { XReads, XUsage } from '../types';
import { keyOf, optimistic, unless404 } from './tables';

interface UsageEntity extends XReads {
  partitionKey: string;
  rowKey: string;
  jobId: string;
  day: string;
  source: string;
}

/**
 * The counters of what each job read from X: one entity per day, job and source, in the settings
 * table's own partition `xusage` (a handful of rows a day: no table of their own to create), row
 * key `<day>.<job>.<source>` so that a month is one range query. An addition reads the entity and
 * writes it back with If-Match on its ETag, so two workers adding at once both count (a 412
 * makes the loser read again).
 */
export class AzureXUsage {
  static readonly PARTITION = 'xusage';

  constructor(private readonly table: TableClient) {}

  async add(jobId: string, day: string, source: string, reads: XReads): Promise<void> {
    const rowKey = `${day}.${keyOf(jobId)}.${keyOf(source)}`;
    await optimistic('addXUsage', async () => {
      const found = await unless404(this.table.getEntity<UsageEntity>(AzureXUsage.PARTITION, rowKey));
      const sum = (k: keyof XReads): number => (found?.[k] ?? 0) + reads[k];
      const entity: UsageEntity = {
        partitionKey: AzureXUsage.PARTITION,
        rowKey,
        jobId,
        day,
        source,
        requests: sum('requests'),
        posts: sum('posts'),
        users: sum('users'),
        dmEvents: sum('dmEvents'),
      };
      if (found) await this.table.updateEntity(entity, 'Replace', { etag: found.etag });
      else await this.table.createEntity(entity);
    });
  }

  async list(sinceDay: string): Promise<XUsage[]> {
    const out: XUsage[] = [];
    const rows = this.table.listEntities<UsageEntity>({ queryOptions: { filter: odata`PartitionKey eq ${AzureXUsage.PARTITION} and RowKey ge ${sinceDay}` } });
    for await (const r of rows) out.push({ jobId: r.jobId, day: r.day, source: r.source, requests: r.requests, posts: r.posts, users: r.users, dmEvents: r.dmEvents });
    return out.sort((a, b) => a.day.localeCompare(b.day) || a.jobId.localeCompare(b.jobId) || a.source.localeCompare(b.source));
  }
}
