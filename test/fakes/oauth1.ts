/**
 * OAuth 1.0a (RFC 5849) signature verification for the fake X server.
 *
 * Kept separate from the server so the rules are easy to audit against
 * https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 3986 percent-encoding (encodeURIComponent leaves !*'() alone; OAuth does not). */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!*'()]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Parses `Authorization: OAuth k="v", k2="v2"` into decoded parameters.
 * Returns undefined when the header is missing or not an OAuth header.
 */
export function parseOAuthHeader(header: string | undefined): Record<string, string> | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"/g;
  for (const m of header.slice(6).matchAll(re)) {
    const key = decodeURIComponent(m[1] ?? '');
    if (key === 'realm') continue; // realm is never part of the signature
    out[key] = decodeURIComponent(m[2] ?? '');
  }
  return out;
}

/**
 * The signature base string: METHOD & enc(baseUrl) & enc(normalized parameters), where the
 * parameters are every query pair, every form-body pair and every oauth_* header pair except
 * oauth_signature, each percent-encoded, sorted by key then value, joined as k=v&k=v.
 */
export function signatureBaseString(method: string, baseUrl: string, params: [string, string][]): string {
  const normalized = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode(baseUrl)}&${percentEncode(normalized)}`;
}

export function hmacSha1Signature(base: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(base).digest('base64');
}

export interface SignedRequest {
  method: string;
  /** scheme://host[:port]/path exactly as the request hit, no query. */
  baseUrl: string;
  queryPairs: [string, string][];
  /** Only for application/x-www-form-urlencoded bodies; other bodies are not signed. */
  bodyPairs: [string, string][];
  /** Parsed Authorization header params (oauth_signature included). */
  oauth: Record<string, string>;
}

/**
 * True when oauth_signature matches. Two parameter sets are accepted:
 *  1. strict RFC 5849: header, query and body params all included, duplicates kept;
 *  2. the same with exact (key, value) duplicates between header and query/body collapsed.
 *     twitter-api-v2 signs this way for POST /oauth/access_token (it sends oauth_token in both
 *     the header and the body but signs it once) and real X accepts it, so the fake must too.
 */
export function verifySignature(req: SignedRequest, consumerSecret: string, tokenSecret: string): boolean {
  const given = req.oauth['oauth_signature'];
  if (!given) return false;
  const headerPairs = Object.entries(req.oauth).filter(([k]) => k !== 'oauth_signature');
  const dataPairs = [...req.queryPairs, ...req.bodyPairs];
  const candidates: [string, string][][] = [[...headerPairs, ...dataPairs]];
  const headerKeys = new Set(headerPairs.map(([k, v]) => `${k}\u0000${v}`));
  const deduped = dataPairs.filter(([k, v]) => !headerKeys.has(`${k}\u0000${v}`));
  if (deduped.length !== dataPairs.length) candidates.push([...headerPairs, ...deduped]);
  return candidates.some((params) => {
    const expected = hmacSha1Signature(signatureBaseString(req.method, req.baseUrl, params), consumerSecret, tokenSecret);
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}
