import { refuseUrl, type HostPattern } from '../hosts';
import type { RetryPolicy } from './retry';
import { backoffMs, sleep } from './retry';

export type MediaResult =
  | { ok: true; base64: string; bytes: number }
  | { ok: false; reason: 'too-large' | 'host-not-allowed' | 'failed'; detail: string };

export interface MediaFetcherOptions {
  allowedHosts: HostPattern[];
  maxBytes: number;
  retry: RetryPolicy;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Downloads one attachment: only from ALLOWED_MEDIA_HOSTS, no redirects (they could leave the
 * allowlist), never more than maxBytes read (a larger one is skipped, not truncated).
 */
export async function fetchMedia(url: string, opts: MediaFetcherOptions): Promise<MediaResult> {
  const refused = refuseUrl(url, opts.allowedHosts, 'Media URL');
  if (refused) return { ok: false, reason: 'host-not-allowed', detail: refused };
  let lastError = '';
  for (let attempt = 1; attempt <= opts.retry.attempts; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 60_000), ...(opts.signal ? [opts.signal] : [])]);
      const res = await fetch(url, { redirect: 'manual', signal });
      if (res.status >= 500 || res.status === 429) {
        lastError = `HTTP ${res.status}`;
        await res.body?.cancel();
      } else if (!res.ok || !res.body) {
        await res.body?.cancel();
        return { ok: false, reason: 'failed', detail: `HTTP ${res.status}` };
      } else {
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (declared > opts.maxBytes) {
          await res.body.cancel();
          return { ok: false, reason: 'too-large', detail: `${declared} bytes` };
        }
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const chunk of res.body) {
          total += chunk.byteLength;
          if (total > opts.maxBytes) {
            return { ok: false, reason: 'too-large', detail: `more than ${opts.maxBytes} bytes` };
          }
          chunks.push(Buffer.from(chunk));
        }
        return { ok: true, base64: Buffer.concat(chunks, total).toString('base64'), bytes: total };
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      lastError = (err as Error).message;
    }
    if (attempt < opts.retry.attempts) await sleep(backoffMs(attempt, opts.retry), opts.signal);
  }
  return { ok: false, reason: 'failed', detail: lastError };
}
