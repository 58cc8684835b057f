import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';
import type { Logger } from '../../logger';
import type { TaskMessage } from '../../store/types';
import type { PostSource } from '../xPosts';

/** A job whose X account is signed in: what every source reads with. */
export interface ReadyJob {
  jobId: string;
  accountId: string;
  accountName: string;
}

/** What a source is asked for: one task's window of one job, and X's reader with the job's tokens. */
export interface SourceContext {
  task: TaskMessage;
  job: ReadyJob;
  window: { start: Date; end: Date };
  x: PostSource;
  log: Logger;
}

/** One page of records a source yields, with the objects X expanded for it. */
export interface SourcePage {
  data: TweetV2[];
  includes: ApiV2Includes;
}

/** A page as the spool keeps it: which source it came from travels with it to the sinks. */
export interface SpooledPage extends SourcePage {
  source: string;
}

/**
 * Where records come from (the account's timeline, DirtyEntities; later mentions, DMs, deletion
 * records, imported archives). A source yields only the records its task should deliver; the
 * fetch stage drops a record another source already gave and counts the rest per day.
 */
export interface Source {
  readonly name: string;
  /** Whether this task asks anything of the source at all. */
  wanted(ctx: SourceContext): boolean;
  pages(ctx: SourceContext): AsyncIterable<SourcePage>;
}
