import { join } from 'node:path';
import type { Config } from '../config';
import { SecretBox } from '../crypto/secretBox';
import { SqliteStore } from './sqlite/sqliteStore';
import type { Store } from './types';

export function secretBoxFor(config: Pick<Config, 'encryptionKey' | 'apiSecretKey'>): SecretBox {
  return new SecretBox(config.encryptionKey ?? `api-secret-key:${config.apiSecretKey}`);
}

/** SQLite in DATA_DIR unless STORAGE_CONNECTION_STRING names Azure Storage. */
export async function openStore(config: Config): Promise<Store> {
  const box = secretBoxFor(config);
  if (config.storageConnectionString) {
    // Wired by the Azure Storage adapter (src/store/azure).
    throw new Error('STORAGE_CONNECTION_STRING is set, but this build has no Azure Storage adapter');
  }
  return new SqliteStore(join(config.dataDir, 'connector.db'), box);
}

export type { Store } from './types';
