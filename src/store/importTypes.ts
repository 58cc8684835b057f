/**
 * What the store keeps of the account's own X archives ("Download an archive of your data"):
 * each import (the zip, what it held) and its records, per job, by id.
 */

/** One post or direct message of an imported archive, as the store keeps it. */
export interface ImportedRecord {
  /** The post id or the direct message id (X's ids: one space, snowflakes). */
  id: string;
  kind: 'post' | 'dm';
  /** When it was sent (ISO 8601): tasks take the records of their window. */
  createdAt: string;
  /** SHA-256 of the zip it came from (hex): DATA_DIR/imports/<sha256>.zip. */
  importId: string;
  /** JSON text: the archive's own object and what the import learned around it (opaque to the store). */
  data: string;
}

/** One import of an archive zip into a job. */
export interface ArchiveImport {
  jobId: string;
  /** SHA-256 of the zip (hex). */
  importId: string;
  fileName: string;
  bytes: number;
  accountId: string;
  accountUsername: string | null;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** In the archive. */
  found: { posts: number; dms: number; media: number };
  /** Added to the store by this import (a second import of the same zip adds none); media: files a record uses. */
  imported: { posts: number; dms: number; media: number };
  error: string | null;
}

/**
 * A page of a job's imported records whose createdAt is in [from, to] (ISO 8601), in id order
 * (X's ids grow with time), after the id `after` (the last of the previous page).
 */
export interface ImportedQuery {
  from: string;
  to: string;
  limit: number;
  after?: string;
}

export const IMPORTED_PAGE_MAX = 500;
