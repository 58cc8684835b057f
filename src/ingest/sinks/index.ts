import type { TaskMessage } from '../../store/types';
import { ImportContainerSink } from './importContainer';
import type { Sink, SinkFactory } from './sink';

/** Every sink an Item is delivered to. A new sink is its own file and one line here. */
const SINKS: readonly SinkFactory[] = [(task) => new ImportContainerSink(task)];

export function sinksFor(task: TaskMessage): Sink[] {
  return SINKS.map((make) => make(task)).filter((s): s is Sink => s !== undefined);
}
