import { dirtyEntitiesSource } from './dirtyEntities';
import type { Source, SourceContext } from './source';
import { timelineSource } from './timeline';

/**
 * Every source, in the order they are read: a record given by an earlier one is not taken again
 * from a later one. A new source is its own file and one line here.
 */
const SOURCES: readonly Source[] = [dirtyEntitiesSource, timelineSource];

export function sourcesFor(ctx: SourceContext): Source[] {
  return SOURCES.filter((s) => s.wanted(ctx));
}
