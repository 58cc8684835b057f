import { setTimeout as delay } from 'node:timers/promises';
import { TransientError } from '../errors';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff; doubles each time, with full jitter. */
  baseMs: number;
  maxMs: number;
  /**
   * How long one attempt may wait for an answer before it is given up as a network failure and
   * retried. Unset: each client's own default (X 30 s of silence, a media download 60 s, an AAD
   * token 30 s, an Event API report 120 s). Tests shorten it to meet stalls quickly.
   */
  tryTimeoutMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 1000, maxMs: 30_000 };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many tasks apart. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/**
 * Runs fn until it succeeds, retrying TransientErrors with backoff. A TransientError that says
 * when to come back (a 429's reset time) waits exactly that long and does not use up an attempt.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (err: TransientError, waitMs: number, attempt: number) => void,
): Promise<T> {
  let attempt = 0;
  let rateLimitWaits = 0;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof TransientError) || !err.retryNow) throw err;
      const rateLimited = err.retryAfterMs !== undefined;
      if (rateLimited) rateLimitWaits += 1;
      else attempt += 1;
      // Rate-limit windows are 15 minutes; a dozen waits means something else is wrong.
      if (attempt >= policy.attempts || rateLimitWaits > 12) throw err;
      const wait = rateLimited ? err.retryAfterMs! + 250 : backoffMs(attempt, policy);
      onRetry?.(err, wait, attempt);
      await sleep(wait, signal);
    }
  }
}
