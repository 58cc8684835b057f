import type { Source, SourceContext, SourcePage } from './source';

/** Posts the Import service asks to have again (DirtyEntities), whatever their date. */
export const dirtyEntitiesSource: Source = {
  name: 'dirtyEntities',
  wanted: (ctx) => (ctx.task.dirtyEntities?.length ?? 0) > 0,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage> {
    yield* ctx.x.byIds(ctx.task.dirtyEntities ?? []);
  },
};
