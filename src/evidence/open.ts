import { join } from 'node:path';
import type { Config } from '../config';
import type { ArchiveBackend } from './backend';
import { BlobArchive } from './blobArchive';
import { LocalArchive } from './localArchive';
import { SearchIndex } from './searchIndex';
import { ListingCatalog, type ArchiveCatalog } from './catalog';

/** The archive copy the configuration names: none with ARCHIVE=off, a blob container with Azure storage, else DATA_DIR/archive. */
export async function openArchive(config: Pick<Config, 'archive' | 'archiveContainer' | 'storageConnectionString' | 'dataDir'>): Promise<ArchiveBackend | undefined> {
  if (!config.archive) return undefined;
  if (config.storageConnectionString) return BlobArchive.open(config.storageConnectionString, config.archiveContainer);
  return new LocalArchive(join(config.dataDir, 'archive'), new SearchIndex(join(config.dataDir, 'archive-index.db')));
}

/** The Archive view's catalog of an archive copy: its own index for a folder, a listing for a blob container. */
export function catalogOf(backend: ArchiveBackend): ArchiveCatalog {
  return backend instanceof LocalArchive ? backend : new ListingCatalog(backend);
}
