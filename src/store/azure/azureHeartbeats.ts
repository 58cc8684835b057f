import { odata, type TableClient } from '@azure/data-tables';
import type { WorkerBeat } from '../types';
import { keyOf } from './tables';

/** Worker heartbeats: one row per instance in one partition (a handful of rows, read whole). */
const PARTITION = 'beats';

interface BeatEntity {
  partitionKey: string;
  rowKey: string;
  data: string;
  lastBeatAt: string;
}

export class AzureHeartbeats {
  constructor(private readonly table: TableClient) {}

  async record(beat: WorkerBeat): Promise<void> {
    await this.table.upsertEntity<BeatEntity>(
      { partitionKey: PARTITION, rowKey: keyOf(beat.instanceId), data: JSON.stringify(beat), lastBeatAt: beat.lastBeatAt },
      'Replace',
    );
  }

  async list(): Promise<WorkerBeat[]> {
    const out: WorkerBeat[] = [];
    for await (const row of this.table.listEntities<BeatEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } })) {
      out.push(JSON.parse(row.data) as WorkerBeat);
    }
    return out.sort((a, b) => (a.lastBeatAt < b.lastBeatAt ? 1 : a.lastBeatAt > b.lastBeatAt ? -1 : a.instanceId < b.instanceId ? -1 : 1));
  }

  async prune(before: string): Promise<number> {
    let removed = 0;
    const old = this.table.listEntities<BeatEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and lastBeatAt lt ${before}` } });
    for await (const row of old) {
      await this.table.deleteEntity(PARTITION, row.rowKey).catch(() => undefined);
      removed++;
    }
    return removed;
  }
}
