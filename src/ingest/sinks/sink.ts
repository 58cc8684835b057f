import type { TweetV2 } from 'twitter-api-v2';
import type { TaskMessage } from '../../store/types';
import type { Item } from '../item';

/** One Item ready to be delivered: its JSON bytes as uploaded, and what it was made from. */
export interface DeliveredItem {
  item: Item;
  /** The Item's JSON, UTF-8, byte for byte what every sink stores. */
  body: Buffer;
  /** The source the record came from (timeline, dirtyEntities, …). */
  source: string;
  /** The X record the Item was made from, as X returned it. */
  record: TweetV2;
}

/**
 * Where Items go: the Import service's container of the task (SAS URL), and later an archive
 * copy. A sink must accept the same item again (a retried task) without duplicating it.
 */
export interface Sink {
  readonly name: string;
  put(delivered: DeliveredItem, signal?: AbortSignal): Promise<void>;
}

/** Builds a sink for one task; undefined when it is switched off. */
export type SinkFactory = (task: TaskMessage) => Sink | undefined;
