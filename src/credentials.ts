import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';
import { ConfigError, parseEnv, type Env } from './config';

/**
 * Outside production, a missing TENANT_ID / API_SECRET_KEY is generated once and kept in
 * DATA_DIR/credentials.json (mode 0600), so a first run needs no configuration at all.
 */
export interface ResolvedConfig {
  config: Config;
  /** Set when the credentials came from (or were written to) DATA_DIR; shown once at start. */
  generatedCredentialsFile: string | undefined;
}

export function loadConfig(env: Env): ResolvedConfig {
  const parsed = parseEnv(env);
  if (parsed.tenantId && parsed.apiSecretKey) {
    return { config: { ...parsed, tenantId: parsed.tenantId, apiSecretKey: parsed.apiSecretKey }, generatedCredentialsFile: undefined };
  }
  const file = join(parsed.dataDir, 'credentials.json');
  let stored: { tenantId?: string; apiSecretKey?: string } = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const tenantId = parsed.tenantId ?? stored.tenantId ?? randomUUID();
  const apiSecretKey = parsed.apiSecretKey ?? stored.apiSecretKey ?? randomBytes(24).toString('base64url');
  if (stored.tenantId !== tenantId || stored.apiSecretKey !== apiSecretKey) {
    mkdirSync(parsed.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ tenantId, apiSecretKey }, null, 2), { mode: 0o600 });
  }
  return { config: { ...parsed, tenantId, apiSecretKey }, generatedCredentialsFile: file };
}
