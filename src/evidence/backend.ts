/**
 * Where the organization's archive copy lives: a folder (DATA_DIR/archive, the embedded default)
 * or a blob container of its storage account. Files are created, never overwritten: a backend
 * says when something is already there, and the caller decides (same bytes: nothing to do;
 * other bytes: a new version beside it).
 */
export interface ArchiveBackend {
  /** Where it is, for messages ("/srv/data/archive", "blob container xconn-archive"). */
  readonly where: string;
  /** Writes the file unless one is at that path already. */
  create(path: string, bytes: Buffer, contentType: string): Promise<'created' | 'exists'>;
  /** The file's bytes; undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** Every file path under the prefix ('' for all), in no promised order. */
  list(prefix: string): AsyncIterable<string>;
}
