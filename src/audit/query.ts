import { AUDIT_PAGE_MAX, type AuditQuery } from '../store/types';

export interface NormalQuery {
  from: string | undefined;
  to: string | undefined;
  order: 'newest' | 'oldest';
  /** Exclusive bounds on seq; 0 and MAX_SAFE_INTEGER when not given. */
  after: number;
  before: number;
  limit: number;
}

function iso(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError(`audit query ${name} "${value}" is not a date`);
  // Entries hold toISOString() text, so comparing text in that same form is comparing times.
  return d.toISOString();
}

function seqBound(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`audit query ${name} must be a whole number`);
  return value;
}

/** An AuditQuery with its defaults filled in, as both adapters read it. */
export function normalAuditQuery(q: AuditQuery = {}): NormalQuery {
  const limit = q.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('audit query limit must be a whole number');
  return {
    from: iso(q.from, 'from'),
    to: iso(q.to, 'to'),
    order: q.order ?? 'newest',
    after: seqBound(q.after, 'after', 0),
    before: seqBound(q.before, 'before', Number.MAX_SAFE_INTEGER),
    limit: Math.min(limit, AUDIT_PAGE_MAX),
  };
}
