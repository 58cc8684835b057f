import type { ApiV2Includes } from 'twitter-api-v2';
import type { ArchiveBackend } from '../../evidence/backend';
import type { Store, TaskMessage } from '../../store/types';
import type { MadeItem } from '../sources/source';

/** One Item ready to be delivered: its JSON bytes as uploaded, and what it was made from. */
export interface DeliveredItem extends MadeItem {
  /** The source the record came from (timeline, dirtyEntities, deletions, …). */
  source: string;
  /** The record the Item was made from, as its source gave it (X's object, as X returned it). */
  record: unknown;
  /** What X expanded on the record's page (users, posts, media…), as X returned it. */
  includes?: ApiV2Includes;
  /** When the record was fetched (ISO 8601). */
  fetchedAt: string;
}

/** What a sink hands back when it is done with a task. */
export interface SinkReceipt {
  /** SHA-256 of the task's archive manifest. */
  manifestSha256?: string;
}

/**
 * Where Items go: the Import service's container of the task, the job's list of archived posts,
 * and later an archive copy. A sink must accept the same item again (a retried task) without
 * duplicating it.
 */
export interface Sink {
  readonly name: string;
  put(delivered: DeliveredItem, signal?: AbortSignal): Promise<void>;
  /** Writes what the sink still holds, once every item was put. */
  finish?(): Promise<SinkReceipt | void>;
}

/** What a sink is built with for one task. */
export interface SinkContext {
  task: TaskMessage;
  store: Store;
  /** The organization's archive copy; undefined with ARCHIVE=off. */
  archive: ArchiveBackend | undefined;
  dataDir: string;
}

/** Builds a sink for one task; undefined when it is switched off. */
export type SinkFactory = (ctx: SinkContext) => Sink | undefined;
