import { RestError, TableClient } from '@azure/data-tables';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, TransientError } from '../../errors';

/**
 * Small pieces shared by the Azure adapter's parts: key encoding, large string properties,
 * optimistic-concurrency retries and error translation.
 */

/**
 * PartitionKey/RowKey may not contain / \ # ? or control characters, and ids come from the
 * Import service and X: base64url keeps any id legal and distinct (its alphabet has no '.',
 * so '.' can join two encoded ids unambiguously).
 */
export function keyOf(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Table and queue names share the prefix; queue names allow only lowercase letters, digits and '-'. */
export function checkPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9]{1,40}$/.test(prefix)) {
    throw new Error(`Azure Storage prefix "${prefix}" must be 2-41 lowercase letters or digits, starting with a letter`);
  }
  return prefix;
}

/** TableClient refuses plain http unless told; Azurite and explicit http endpoints need it. */
export function allowsHttp(connectionString: string): boolean {
  return (
    /(^|;)\s*UseDevelopmentStorage=true/i.test(connectionString) ||
    /(^|;)\s*DefaultEndpointsProtocol=http\s*(;|$)/i.test(connectionString) ||
    /(^|;)\s*TableEndpoint=http:/i.test(connectionString)
  );
}

export function tableClient(connectionString: string, table: string): TableClient {
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: allowsHttp(connectionString) });
}

// Large strings --------------------------------------------------------------------------------

// A string property holds at most 64 KiB of UTF-16 (32K characters); an entity at most 1 MiB.
// Values written here are ASCII (sealed base64url, JSON of encoded keys), so slicing is safe.
const CHUNK_CHARS = 30_000;
const MAX_CHUNKS = 16;

/** Spreads a long ASCII string over properties `${name}0`, `${name}1`, … plus a count. */
export function chunked(name: string, value: string): Record<string, string | number> {
  const parts = Math.max(1, Math.ceil(value.length / CHUNK_CHARS));
  if (parts > MAX_CHUNKS) throw new Error(`${name} is too large for one Azure Table entity (${value.length} characters)`);
  const out: Record<string, string | number> = { [`${name}Parts`]: parts };
  for (let i = 0; i < parts; i++) out[`${name}${i}`] = value.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return out;
}

export function unchunk(entity: Record<string, unknown>, name: string): string {
  const parts = Number(entity[`${name}Parts`] ?? 0);
  let out = '';
  for (let i = 0; i < parts; i++) out += String(entity[`${name}${i}`] ?? '');
  return out;
}

// Errors ---------------------------------------------------------------------------------------

export function statusOf(err: unknown): number | undefined {
  return err instanceof RestError ? err.statusCode : undefined;
}

export function hasStatus(err: unknown, ...codes: number[]): boolean {
  const status = statusOf(err);
  return status !== undefined && codes.includes(status);
}

/** Returns undefined for a 404 (the entity or message is gone), rethrows anything else. */
export async function unless404<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (hasStatus(err, 404)) return undefined;
    throw err;
  }
}

const MAX_ATTEMPTS = 60;

/**
 * Runs read-decide-write attempts until one's conditional write lands. A 412 (If-Match lost to
 * another writer) or a 409 (someone else created the entity first) means the decision was made
 * on stale data, so it is made again on fresh data rather than overwriting.
 */
export async function optimistic<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!hasStatus(err, 409, 412)) throw err;
      if (i >= MAX_ATTEMPTS) throw new TransientError(`Azure Storage: ${what} kept conflicting with concurrent writers`, { cause: err });
      // Full jitter, so contending instances spread out instead of colliding again in step.
      await sleep(Math.random() * Math.min(250, 5 * 2 ** i));
    }
  }
}

/**
 * Azure SDK errors that may pass (network, throttling, 5xx; the SDK has already retried them)
 * become TransientError; our own errors and anything else (a bug, a bad configuration) pass
 * through unchanged.
 */
export function translate(err: unknown, op: string): unknown {
  if (err instanceof AppError || !(err instanceof RestError)) return err;
  const status = err.statusCode;
  if (status === undefined || status === 408 || status === 429 || status >= 500) {
    return new TransientError(`Azure Storage ${op} failed${status ? ` (HTTP ${status})` : ` (${err.code ?? 'network error'})`}`, { cause: err });
  }
  return err;
}
