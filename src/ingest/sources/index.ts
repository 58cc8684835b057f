import { deletionsSource } from './deletions';
import { dirtyEntitiesSource } from './dirtyEntities';
import { importedArchiveSource } from './importedArchive';
import type { Source, SourceContext } from './source';
import { timelineSource } from './timeline';

/**
 * Every source, in the order they are read: a record given by an earlier one is not taken again
 * from a later one. A new source is its own file and one line here.
 */
const SOURCES = [
  dirtyEntitiesSource,
  timelineSource,
  // After X's API: when both have an id, the API's copy wins (it carries v2 fields).
  importedArchiveSource,
  // Last: a deletion a lookup above found in this task is delivered in it.
  deletionsSource,
] as Source[];

export function sourcesFor(ctx: SourceContext): Source[] {
  return SOURCES.filter((s) => s.wanted(ctx));
}
