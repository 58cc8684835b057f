import { deletionsSource } from './deletions';
import { directMessagesSource } from './directMessages';
import { dirtyEntitiesSource } from './dirtyEntities';
import { importedArchiveSource } from './importedArchive';
import { mentionsSource } from './mentions';
import { flushReads } from '../xCost';
import type { Source, SourceContext } from './source';
import { timelineSource } from './timeline';

/**
 * Every source, in the order they are read: a record given by an earlier one is not taken again
 * from a later one. A new source is its own file and one line here.
 */
const SOURCES = [
  dirtyEntitiesSource,
  timelineSource,
  // After the timeline: the account's own posts X also lists as mentions (self-replies) are taken from it.
  mentionsSource,
  directMessagesSource,
  // After X's API: when both have an id, the API's copy wins (it carries v2 fields).
  importedArchiveSource,
  // Last: a deletion a lookup above found in this task is delivered in it.
  deletionsSource,
] as Source[];

export function sourcesFor(ctx: SourceContext): Source[] {
  return SOURCES.filter((s) => s.wanted(ctx)).map(metered);
}

/** A source whose reads from X are added to the job's counters once it is read (or fails). */
function metered(source: Source): Source {
  return {
    ...source,
    async *pages(ctx) {
      try {
        yield* source.pages(ctx);
      } finally {
        await flushReads(ctx.x, source.name, ctx.store, ctx.job.jobId, ctx.log);
      }
    },
  };
}
