import type { Logger } from '../../logger';
import { dayOf } from '../item';
import type { Source, SourceContext } from '../sources/source';
import type { Spool } from '../spool';

/** Posts fetched per UTC day of their created_at, for the cap. */
export type DayCounts = Map<string, number>;

/**
 * Stage 1: reads every source into the task's spool, page by page, and counts the records per
 * UTC day, so that counting never holds a task's posts in memory. A record an earlier source
 * already gave (a DirtyEntity that is also on the timeline) is taken once.
 */
export async function fetchToSpool(sources: Source[], ctx: SourceContext, spool: Spool, log: Logger, onPosts?: (fetched: number) => void): Promise<DayCounts> {
  const begun = Date.now();
  const counts: DayCounts = new Map();
  const seen = new Set<string>();
  let posts = 0;
  const repeats: boolean[] = [];
  for (const s of sources) repeats.push(!s.disjointIds && (s.mayRepeat ? await s.mayRepeat(ctx) : true));
  for (const [i, source] of sources.entries()) {
    // Ids are kept only while a later source may give the same record again: the timeline of a
    // 200,000-post day, the bulk, is the last such source, and its ids are not kept.
    const remember = repeats.slice(i + 1).some(Boolean);
    for await (const page of source.pages(ctx)) {
      const fresh = page.data.filter((p) => !seen.has(p.id));
      for (const p of fresh) {
        if (remember) seen.add(p.id);
        const day = dayOf(p.created_at);
        counts.set(day, (counts.get(day) ?? 0) + 1);
      }
      posts += fresh.length;
      onPosts?.(posts);
      if (fresh.length) await spool.writePage({ ...page, source: source.name, data: fresh, fetchedAt: new Date().toISOString() });
    }
  }
  await spool.finishPages();
  log.info({ posts, days: counts.size, ms: Date.now() - begun }, 'posts fetched and counted');
  return counts;
}
