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
