import http from 'node:http';
import https from 'node:https';
import { networkFailure, seconds } from '../errors';
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
  /** How long a download may go without receiving anything; default retry.tryTimeoutMs, else 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

// node:http with keep-alive costs a fraction of fetch's CPU per download, which matters at
// hundreds of photos a second.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

type Attempt = MediaResult | { retry: string };

class SilentTooLong extends Error {}

/** Why an attempt failed, naming the host: "pbs.twimg.com could not be reached (the connection was reset)". */
function unreachable(url: URL, err: Error): string {
  const phrase = err instanceof SilentTooLong ? err.message : (networkFailure(err) ?? err.message);
  return phrase.startsWith('the answer broke off') ? `${url.host}: ${phrase}` : `${url.host} could not be reached (${phrase})`;
}

function getOnce(url: URL, maxBytes: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const get = secure ? https.get : http.get;
    // No redirects are followed: they could lead outside the allowlist.
    const req = get(url, { agent: secure ? agents.https : agents.http, signal, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 500 || status === 429) {
        res.resume();
        resolve({ retry: `HTTP ${status}` });
        return;
      }
      if (status !== 200) {
        res.resume();
        resolve({ ok: false, reason: 'failed', detail: `HTTP ${status}` });
        return;
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > maxBytes) {
        res.destroy();
        resolve({ ok: false, reason: 'too-large', detail: `${declared} bytes` });
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          res.destroy();
          resolve({ ok: false, reason: 'too-large', detail: `more than ${maxBytes} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ ok: true, base64: Buffer.concat(chunks, total).toString('base64'), bytes: total }));
      res.on('error', (err) => resolve({ retry: unreachable(url, err) }));
    });
    // Node's timeout is of silence: it also ends a download that stops halfway.
    req.on('timeout', () => req.destroy(new SilentTooLong(`nothing received for ${seconds(timeoutMs)}`)));
    req.on('error', (err) => (signal?.aborted ? reject(err) : resolve({ retry: unreachable(url, err) })));
  });
}

/**
 * Downloads one attachment: only from ALLOWED_MEDIA_HOSTS, no redirects, never more than
 * maxBytes read (a larger one is skipped, not truncated); 5xx, 429 and network errors retried.
 */
export async function fetchMedia(raw: string, opts: MediaFetcherOptions): Promise<MediaResult> {
  const refused = refuseUrl(raw, opts.allowedHosts, 'Media URL');
  if (refused) return { ok: false, reason: 'host-not-allowed', detail: refused };
  const url = new URL(raw);
  let lastError = '';
  for (let attempt = 1; attempt <= opts.retry.attempts; attempt++) {
    opts.signal?.throwIfAborted();
    const result = await getOnce(url, opts.maxBytes, opts.timeoutMs ?? opts.retry.tryTimeoutMs ?? 60_000, opts.signal);
    if (!('retry' in result)) return result;
    lastError = result.retry;
    if (attempt < opts.retry.attempts) await sleep(backoffMs(attempt, opts.retry), opts.signal);
  }
  return { ok: false, reason: 'failed', detail: lastError };
}
