import type { INetworkModule } from '@azure/msal-node';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Config, Env } from '../../src/config';
import { loadConfig } from '../../src/credentials';
import { createApp } from '../../src/http/app';
import { createLogger, type Logger } from '../../src/logger';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store/types';

export const TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
/** Has colons on purpose: Basic credentials split at the first one only. */
export const API_SECRET_KEY = 'pa:ss:word-with-colons-0123456789';

export function basicAuth(tenant = TENANT_ID, secret = API_SECRET_KEY): string {
  return `Basic ${Buffer.from(`${tenant}:${secret}`).toString('base64')}`;
}

/** Collects every log line the app writes, to assert that no secret ever appears in one. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export function tempDir(prefix = 'xconn-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestConnector {
  url: string;
  config: Config;
  store: Store;
  logs: LogCapture;
  logger: Logger;
  dataDir: string;
  /** Shifts the app's clock (request-token expiry) by offsetMs. */
  clock: { offsetMs: number };
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts the real app on 127.0.0.1:0 with a real SQLite file in a temp dir (or the given one,
 * to test restarts). env overrides the defaults below.
 */
export async function startConnector(
  opts: { env?: Env; dataDir?: string; authFailureLimit?: number; networkClient?: INetworkModule } = {},
): Promise<TestConnector> {
  const dataDir = opts.dataDir ?? tempDir();
  const { config } = loadConfig({
    TENANT_ID,
    API_SECRET_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    X_API_BASE_URL: 'http://127.0.0.1:9',
    AAD_JWKS_URL: 'http://127.0.0.1:9/keys',
    // Never Microsoft's: "Test settings" and the status page ask AAD for a token.
    AAD_AUTHORITY_HOST: 'https://127.0.0.1:9',
    ALLOWED_BLOB_HOSTS: '127.0.0.1:10000,*.blob.core.windows.net',
    ...opts.env,
  });
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const store = await openStore(config);
  const clock = { offsetMs: 0 };
  const app = createApp({
    config,
    logger,
    store,
    clock: () => new Date(Date.now() + clock.offsetMs),
    authFailureLimit: opts.authFailureLimit ?? 1000,
    networkClient: opts.networkClient,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    store,
    logs,
    logger,
    dataDir,
    clock,
    async close({ keepData = false } = {}) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
