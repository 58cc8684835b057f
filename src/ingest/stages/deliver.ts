import pLimit from 'p-limit';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { compareIds } from '../../store/shared';
import { dayOf, type Container } from '../item';
import type { RetryPolicy } from '../retry';
import type { DeliveredItem, Sink } from '../sinks/sink';
import type { ItemContext, Source, SourceRecord, SpooledPage } from '../sources/source';
import type { Spool } from '../spool';
import type { Allowance } from './reserve';

export interface DeliverOptions {
  config: Config;
  sources: Source[];
  sinks: Sink[];
  container: Container;
  retry: RetryPolicy;
  uploadConcurrency: number;
  mediaConcurrency: number;
  signal?: AbortSignal;
  log: Logger;
  /** After each item delivered: how many so far and the attachments skipped (the status page shows it). */
  onProgress?: (items: number, attachmentsSkipped: number) => void;
}

export interface Delivery {
  /** SHA-256 of the task's archive manifest, when the archive copy is on. */
  manifestSha256?: string;
  items: number;
  newestId: string | null;
  attachmentsSkipped: number;
  /** The first error that stopped delivery; nothing of the task counts as archived then. */
  failed: unknown;
}

/**
 * Stage 3: one record at a time from the spool into a window of uploadConcurrency items in
 * flight; its source makes it an Item (downloading its media, bounded apart), which is put to
 * every sink in its slot, and its itemMetadata entry is written to the spool for the report.
 */
export async function deliver(spool: Spool, allowance: Allowance, opts: DeliverOptions): Promise<Delivery> {
  const begun = Date.now();
  const bySource = new Map(opts.sources.map((s) => [s.name, s]));
  const downloads = pLimit(opts.mediaConcurrency);
  const itemCtx: ItemContext = { config: opts.config, container: opts.container, retry: opts.retry, download: (fn) => downloads(fn), signal: opts.signal, log: opts.log };
  const result: Delivery = { items: 0, newestId: null, attachmentsSkipped: 0, failed: undefined };
  const inFlight = new Set<Promise<void>>();

  const handle = async (record: SourceRecord, page: SpooledPage) => {
    const source = bySource.get(page.source);
    if (!source) throw new Error(`The spool names a source this task does not have: ${page.source}`);
    const made = await source.makeItem(record, page, itemCtx);
    result.attachmentsSkipped += made.skipped;
    const delivered: DeliveredItem = { ...made, source: page.source, record, includes: page.includes, fetchedAt: page.fetchedAt };
    for (const sink of opts.sinks) await sink.put(delivered, opts.signal);
    const { item } = made;
    const entry = JSON.stringify({ id: item.Id, modificationTimestampUtc: item.SentTimeUtc, fileName: `${item.Id}.json` });
    await spool.writeMetadata(result.items++ === 0 ? entry : `,${entry}`);
    opts.onProgress?.(result.items, result.attachmentsSkipped);
    if (made.archived && (result.newestId === null || compareIds(made.archived.postId, result.newestId) > 0)) result.newestId = made.archived.postId;
  };

  outer: for await (const page of spool.pages()) {
    for (const record of page.data) {
      if (result.failed) break outer;
      if (!allowance.days.has(dayOf(record.created_at))) continue;
      const running: Promise<void> = handle(record, page)
        .catch((err: unknown) => {
          result.failed ??= err;
        })
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
      if (inFlight.size >= opts.uploadConcurrency) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  if (!result.failed) await finishSinks(opts.sinks, result);
  opts.log.info({ items: result.items, ms: Date.now() - begun, failed: result.failed !== undefined }, 'items uploaded');
  return result;
}

/** Sinks that batch (the list of archived posts) write what they still hold. */
async function finishSinks(sinks: Sink[], result: Delivery): Promise<void> {
  try {
    for (const sink of sinks) {
      const receipt = await sink.finish?.();
      if (receipt?.manifestSha256) result.manifestSha256 = receipt.manifestSha256;
    }
  } catch (err) {
    result.failed = err;
  }
}
