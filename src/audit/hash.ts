import { createHash } from 'node:crypto';
import type { AuditDetails, AuditEntry, AuditHead, AuditKind } from '../store/types';
import { AUDIT_KINDS } from '../store/types';

/**
 * The audit log's hash chain, shared by both store adapters and the chain checker. Each entry's
 * hash is SHA-256 over the canonical JSON of (seq, at, kind, details, prevHash); prevHash is the
 * previous entry's hash, GENESIS_HASH for the first. Editing, removing or reordering an entry
 * breaks the chain at that entry.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** details as stored: at most this many characters of canonical JSON (an Azure string property holds 32K). */
export const MAX_DETAILS_CHARS = 16_000;

/**
 * JSON with object keys in code-point order at every depth and no whitespace, so that the same
 * value always gives the same bytes, whichever store, language or key order wrote it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`audit details hold a value JSON cannot carry (${typeof value})`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function auditHash(e: Pick<AuditEntry, 'seq' | 'at' | 'kind' | 'details' | 'prevHash'>): string {
  const body = canonicalJson({ seq: e.seq, at: e.at, kind: e.kind, details: e.details, prevHash: e.prevHash });
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/**
 * A tripwire, not a proof: no audit entry may carry a secret, so details whose keys name one
 * (token, secret, password, authorization, SAS) or whose text holds a SAS signature are refused.
 * Settings are recorded by key name only.
 */
const SECRET_KEY = /secret|password|token|authorization|sas/i;
function assertNoSecrets(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (/[?&]sig=/i.test(value)) throw new TypeError(`audit details ${path} hold a signed URL`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (!Array.isArray(value) && SECRET_KEY.test(k)) throw new TypeError(`audit details may not hold "${path}${k}": no secret is ever recorded`);
    assertNoSecrets(v, `${path}${k}.`);
  }
}

/** What an adapter needs to store: the next entry after head, checked, normalized and hashed. */
export function nextAuditEntry(input: { kind: AuditKind; at?: string; details: AuditDetails }, head: AuditHead | undefined, now: Date): AuditEntry {
  if (!(AUDIT_KINDS as readonly string[]).includes(input.kind)) throw new TypeError(`unknown audit kind "${input.kind}"`);
  if (input.details === null || typeof input.details !== 'object' || Array.isArray(input.details)) {
    throw new TypeError('audit details must be an object');
  }
  const at = new Date(input.at ?? now);
  if (Number.isNaN(at.getTime())) throw new TypeError(`audit time "${input.at}" is not a date`);
  // Through JSON once, so that what is hashed is exactly what a reader parses back (dates as text, no undefined).
  const details = JSON.parse(JSON.stringify(input.details)) as AuditDetails;
  assertNoSecrets(details, '');
  if (canonicalJson(details).length > MAX_DETAILS_CHARS) throw new TypeError(`audit details are longer than ${MAX_DETAILS_CHARS} characters`);
  const entry = { seq: (head?.seq ?? 0) + 1, at: at.toISOString(), kind: input.kind, details, prevHash: head?.hash ?? GENESIS_HASH };
  return { ...entry, hash: auditHash(entry) };
}
