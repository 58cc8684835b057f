import type { ApiV2Includes } from 'twitter-api-v2';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { ArchivedPost, Store, TaskMessage, TaskRun } from '../../store/types';
import type { Container, Item } from '../item';
import type { RetryPolicy } from '../retry';
import type { PostSource, XResourceError } from '../xPosts';

/** A job whose X account is signed in: what every source reads with. */
export interface ReadyJob {
  jobId: string;
  accountId: string;
  accountName: string;
}

/** The optional sources this task reads: the admin's choice, less what the monthly budget paused. */
export interface SourceChoices {
  mentions: boolean;
  directMessages: boolean;
}

/**
 * What the task history says beside the outcome (none of it a failure), and the X app permission
 * X said the job's tokens lack.
 */
export class TaskNotes {
  readonly list: string[] = [];
  private permission: string | null = null;
  private run: Pick<TaskRun, 'notes' | 'missingXPermission'> | undefined;

  add(note: string): void {
    if (!this.list.includes(note)) this.list.push(note);
  }

  set missingXPermission(permission: string) {
    this.permission = permission;
    if (this.run) this.run.missingXPermission = permission;
  }

  /** From now on the run's history row holds them (TaskRun.notes, .missingXPermission), saved with its outcome. */
  writeTo(run: Pick<TaskRun, 'notes' | 'missingXPermission'>): void {
    this.run = run;
    run.notes = this.list;
    if (this.permission) run.missingXPermission = this.permission;
  }
}

/** What a source is asked for: one task's window of one job, and X's reader with the job's tokens. */
export interface SourceContext {
  task: TaskMessage;
  job: ReadyJob;
  window: { start: Date; end: Date };
  x: PostSource;
  store: Store;
  log: Logger;
  choices: SourceChoices;
  notes: TaskNotes;
}

/** Any record a source yields: it has an id (the Item's) and the time it counts on. */
export interface SourceRecord {
  id: string;
  created_at?: string;
}

/** One page of records a source yields, with the objects X expanded for it. */
export interface SourcePage<R extends SourceRecord = SourceRecord> {
  data: R[];
  includes: ApiV2Includes;
  /** What X said of objects it did not return (a referenced post deleted, protected…): the Item names them. */
  errors?: XResourceError[];
}

/** A page as the spool keeps it: which source it came from travels with it to the sinks. */
export interface SpooledPage extends SourcePage {
  source: string;
  /** When the page was fetched (ISO 8601): the archive's manifest names it per file. */
  fetchedAt: string;
}

/** What making an Item may use: the task's container, and media downloads bounded across the task. */
export interface ItemContext {
  config: Config;
  container: Container;
  retry: RetryPolicy;
  /** Runs a download in the task's bounded pool. */
  download<T>(fn: () => Promise<T>): Promise<T>;
  signal?: AbortSignal;
  log: Logger;
}

/** A record made into an Item, with its JSON bytes as every sink stores them. */
export interface MadeItem {
  item: Item;
  body: Buffer;
  /** Attachments kept without content (too large, not allowed, unreachable). */
  skipped: number;
  /** Set for an archived post: what the job's list of archived posts keeps of it. */
  archived?: Omit<ArchivedPost, 'taskId'>;
  /** The raw record the archive copy keeps, when it is not the spooled record (an imported archive's own object). */
  raw?: unknown;
  /** The manifest's source, when more than the source's name (an imported archive: its zip and SHA-256). */
  provenance?: string;
}

/**
 * Where records come from (the account's timeline, DirtyEntities, deletion records; later
 * mentions, DMs, imported archives), and how its records become Items. A source yields only the
 * records its task should deliver; the fetch stage drops a record another source already gave
 * and counts the rest per day.
 */
export interface Source<R extends SourceRecord = SourceRecord> {
  readonly name: string;
  /** Its record ids can never be another source's (`<postId>-deleted`): no need to check them against the others'. */
  readonly disjointIds?: boolean;
  /** Whether it has anything this task at all (asked before reading): if not, no earlier source's ids are kept for it. */
  mayRepeat?(ctx: SourceContext): Promise<boolean>;
  /** Whether this task asks anything of the source at all. */
  wanted(ctx: SourceContext): boolean;
  pages(ctx: SourceContext): AsyncIterable<SourcePage<R>>;
  makeItem(record: R, page: SourcePage<R>, ctx: ItemContext): Promise<MadeItem>;
}
