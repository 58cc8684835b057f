import type { Request } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../errors';

/** Job and task ids become blob path segments and table keys: keep them to a safe alphabet. */
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const idSchema = (name: string) =>
  z.string({ message: `${name} must be a string` }).regex(ID_RE, `${name} must be 1-128 letters, digits, '-', '_', '.' or ':'`);

/** Reads a query parameter case-insensitively (ASP.NET bound them that way); arrays are refused. */
export function queryParam(req: Request, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(req.query)) {
    if (key.toLowerCase() !== lower) continue;
    if (typeof value !== 'string') throw new InvalidInputError(`Query parameter ${name} must be given once, as text`);
    return value;
  }
  return undefined;
}

export function requiredQuery(req: Request, name: string): string {
  const value = queryParam(req, name);
  if (value === undefined || value === '') throw new InvalidInputError(`Query parameter ${name} is required`);
  return value;
}

export function requiredId(req: Request, name: string): string {
  const value = requiredQuery(req, name);
  const parsed = idSchema(name).safeParse(value);
  if (!parsed.success) throw new InvalidInputError(parsed.error.issues[0]!.message);
  return value;
}

/** Formats the first zod issue as "Field: message". */
export function firstIssue(error: z.ZodError, prefix: string): InvalidInputError {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return new InvalidInputError(`${prefix}: ${where}${issue.message}`);
}

/** JSON body must be an object (not an array, string or missing). */
export function objectBody(req: Request, what: string): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError(`${what}: expected a JSON object body with Content-Type: application/json`);
  }
  return body as Record<string, unknown>;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const ISO_TIME = /^T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

/** A calendar date that exists (Date.parse rolls 2026-02-30 over to March). */
function realDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * An ISO 8601 date (YYYY-MM-DD, UTC) or date and time with its zone (Z or ±hh:mm), as
 * toISOString() text; undefined when absent. A bare date given as an upper bound means the end of
 * that day, so `to=2026-01-31` includes the 31st.
 */
export function isoQuery(req: Request, name: string, opts: { endOfDay?: boolean } = {}): string | undefined {
  const value = queryParam(req, name);
  if (value === undefined || value === '') return undefined;
  const date = ISO_DATE.exec(value);
  const time = value.slice(10);
  const ok = date && realDate(Number(date[1]), Number(date[2]), Number(date[3])) && (time === '' || ISO_TIME.test(time));
  const ms = ok ? Date.parse(time === '' ? `${value}T00:00:00Z` : value) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`Query parameter ${name} must be an ISO 8601 date (2026-01-31) or time with its zone (2026-01-31T09:30:00Z)`);
  }
  return new Date(time === '' && opts.endOfDay ? ms + 24 * 3600 * 1000 - 1 : ms).toISOString();
}

/** A whole number from min to max; undefined when absent. */
export function intQuery(req: Request, name: string, min: number, max: number): number | undefined {
  const value = queryParam(req, name);
  if (value === undefined || value === '') return undefined;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidInputError(`Query parameter ${name} must be a whole number from ${min} to ${max}`);
  return n;
}
