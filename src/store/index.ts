import { join } from 'node:path';
import type { Config } from '../config';
import { SecretBox } from '../crypto/secretBox';
import type { AzureStore as AzureStoreClass } from './azure/azureStore';
import { SqliteStore } from './sqlite/sqliteStore';
import type { Store } from './types';

export function secretBoxFor(config: Pick<Config, 'encryptionKey' | 'apiSecretKey'>): SecretBox {
  return new SecretBox(config.encryptionKey ?? `api-secret-key:${config.apiSecretKey}`);
}

/** SQLite in DATA_DIR unless STORAGE_CONNECTION_STRING names Azure Storage. */
export async function openStore(config: Config): Promise<Store> {
  const box = secretBoxFor(config);
  if (config.storageConnectionString) {
    // Loaded only when asked for: the Azure SDKs cost start-up time and memory the SQLite default does not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AzureStore } = require('./azure/azureStore') as { AzureStore: typeof AzureStoreClass };
    return AzureStore.open(config.storageConnectionString, box);
  }
  return new SqliteStore(join(config.dataDir, 'connector.db'), box);
}

export type { Store } from './types';
