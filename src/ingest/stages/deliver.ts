import pLimit, { type LimitFunction } from 'p-limit';
import type { TweetV2 } from 'twitter-api-v2';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { compareIds } from '../../store/shared';
import { dayOf, Includes, ItemBody, mapPost, mediaToFetch, type Container } from '../item';
import { fetchMedia } from '../media';
import type { RetryPolicy } from '../retry';
import type { DeliveredItem, Sink } from '../sinks/sink';
import type { Spool } from '../spool';
import type { Allowance } from './reserve';

export interface DeliverOptions {
  config: Config;
  sinks: Sink[];
  container: Container;
  retry: RetryPolicy;
  uploadConcurrency: number;
  mediaConcurrency: number;
  signal?: AbortSignal;
  log: Logger;
}

export interface Delivery {
  items: number;
  newestId: string | null;
  attachmentsSkipped: number;
  /** The first error that stopped delivery; nothing of the task counts as archived then. */
  failed: unknown;
}

/** Downloads the media a post shows, once per file, bounded across the task: content by URL, null when skipped. */
async function downloadMedia(post: TweetV2, inc: Includes, opts: DeliverOptions, downloads: LimitFunction): Promise<Map<string, string | null>> {
  const { config, retry, signal, log } = opts;
  // A retweet shows its original's media: one download per file, not one per place it appears.
  const refs = [...new Map(mediaToFetch(post, inc).map((r) => [r.url, r])).values()];
  const media = new Map<string, string | null>();
  await Promise.all(
    refs.map((ref) =>
      downloads(async () => {
        const r = await fetchMedia(ref.url, { allowedHosts: config.allowedMediaHosts, maxBytes: config.maxAttachmentBytes, retry, signal });
        if (!r.ok) log.warn({ url: ref.url, reason: r.reason, detail: r.detail }, 'attachment kept without content');
        media.set(ref.url, r.ok ? r.base64 : null);
      }),
    ),
  );
  return media;
}

/** Maps a post with its downloaded media to the Item and its bytes; counts the attachments kept without content. */
function makeItem(post: TweetV2, inc: Includes, media: Map<string, string | null>, container: Container): { body: Buffer; item: DeliveredItem['item']; skipped: number } {
  const body = new ItemBody();
  const item = mapPost(post, inc, container, (ref) => {
    const base64 = media.get(ref.url);
    return base64 === undefined || base64 === null ? null : body.placeholder(base64);
  });
  const skipped = new Set<string>();
  for (const a of [item, ...(item.PreContext ?? [])]) {
    for (const att of a.ContentAttachments ?? []) if (att.Content === null) skipped.add(att.Uri);
  }
  return { body: body.toBuffer(item), item, skipped: skipped.size };
}

/**
 * Stage 3: one record at a time from the spool into a window of uploadConcurrency items in
 * flight; each downloads its media (bounded apart), is mapped and put to every sink in its slot,
 * and its itemMetadata entry is written to the spool for the report.
 */
export async function deliver(spool: Spool, allowance: Allowance, opts: DeliverOptions): Promise<Delivery> {
  const begun = Date.now();
  const downloads = pLimit(opts.mediaConcurrency);
  const result: Delivery = { items: 0, newestId: null, attachmentsSkipped: 0, failed: undefined };
  const inFlight = new Set<Promise<void>>();

  const handle = async (post: TweetV2, inc: Includes, source: string) => {
    const media = await downloadMedia(post, inc, opts, downloads);
    const { body, item, skipped } = makeItem(post, inc, media, opts.container);
    result.attachmentsSkipped += skipped;
    const delivered: DeliveredItem = { item, body, source, record: post };
    for (const sink of opts.sinks) await sink.put(delivered, opts.signal);
    const entry = JSON.stringify({ id: item.Id, modificationTimestampUtc: item.SentTimeUtc, fileName: `${item.Id}.json` });
    await spool.writeMetadata(result.items++ === 0 ? entry : `,${entry}`);
    if (result.newestId === null || compareIds(item.Id, result.newestId) > 0) result.newestId = item.Id;
  };

  outer: for await (const page of spool.pages()) {
    const inc = new Includes(page.includes);
    for (const post of page.data) {
      if (result.failed) break outer;
      if (!allowance.days.has(dayOf(post.created_at))) continue;
      const running: Promise<void> = handle(post, inc, page.source)
        .catch((err: unknown) => {
          result.failed ??= err;
        })
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
      if (inFlight.size >= opts.uploadConcurrency) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  opts.log.info({ items: result.items, ms: Date.now() - begun, failed: result.failed !== undefined }, 'items uploaded');
  return result;
}
