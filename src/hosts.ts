/**
 * Host allowlists (ALLOWED_BLOB_HOSTS, ALLOWED_MEDIA_HOSTS): entries are `host`, `host:port`
 * or `*.suffix`. A URL is allowed when its host (and port, if the entry names one) matches.
 */

export interface HostPattern {
  /** Lower-case host name, without the leading `*.` for suffix patterns. */
  host: string;
  /** Port the entry pins, or undefined for any port. */
  port: string | undefined;
  wildcard: boolean;
}

const HOST_RE = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:]+\])(:(\d{1,5}))?$/i;

export function parseHostList(value: string): HostPattern[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = HOST_RE.exec(entry);
      if (!m) throw new Error(`"${entry}" is not a host, host:port or *.suffix`);
      return { host: m[2]!.toLowerCase(), port: m[5], wildcard: Boolean(m[1]) };
    });
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export function hostAllowed(url: URL, patterns: HostPattern[]): boolean {
  const hostname = url.hostname.toLowerCase();
  return patterns.some((p) => {
    if (p.port !== undefined && p.port !== defaultPort(url)) return false;
    if (p.wildcard) return hostname.endsWith(`.${p.host}`);
    return hostname === p.host;
  });
}

/**
 * Checks a URL the app is about to send data to or fetch from: allowed host, and https
 * unless the host is loopback (tests, Azurite) and listed explicitly.
 * Returns the reason it is refused, or undefined when it is fine.
 */
export function refuseUrl(raw: string, patterns: HostPattern[], what: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${what} is not a valid URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${what} must be an https URL`;
  if (url.username || url.password) return `${what} must not carry user credentials`;
  if (!hostAllowed(url, patterns)) return `${what} names host "${url.host}", which is not in the allowed hosts`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return `${what} must be an https URL`;
  return undefined;
}
