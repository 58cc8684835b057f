import { ArchiveCopySink } from './archiveCopy';
import { ArchivedPostsSink } from './archivedPosts';
import { ImportContainerSink } from './importContainer';
import type { Sink, SinkContext, SinkFactory } from './sink';

/** Every sink an Item is delivered to, in order. A new sink is its own file and one line here. */
const SINKS: readonly SinkFactory[] = [
  ({ task }) => new ImportContainerSink(task),
  ({ task, store }) => new ArchivedPostsSink(task, store),
  ({ task, archive, dataDir }) => (archive ? new ArchiveCopySink(task, archive, dataDir) : undefined),
];

export function sinksFor(ctx: SinkContext): Sink[] {
  return SINKS.map((make) => make(ctx)).filter((s): s is Sink => s !== undefined);
}
