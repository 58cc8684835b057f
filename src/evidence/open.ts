import { join } from 'node:path';
import type { Config } from '../config';
import type { ArchiveBackend } from './backend';
import { BlobArchive } from './blobArchive';
import { LocalArchive } from './localArchive';

/** The archive copy the configuration names: none with ARCHIVE=off, a blob container with Azure storage, else DATA_DIR/archive. */
export async function openArchive(config: Pick<Config, 'archive' | 'archiveContainer' | 'storageConnectionString' | 'dataDir'>): Promise<ArchiveBackend | undefined> {
  if (!config.archive) return undefined;
  if (config.storageConnectionString) return BlobArchive.open(config.storageConnectionString, config.archiveContainer);
  return new LocalArchive(join(config.dataDir, 'archive'));
}
