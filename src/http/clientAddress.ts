import { isIP } from 'node:net';
import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * One address entry as a proxy writes it, without its port: `203.0.113.7:50123` → `203.0.113.7`,
 * `[2001:db8::7]:50123` → `2001:db8::7`, `::ffff:203.0.113.7` → `203.0.113.7`. Undefined when the
 * entry is not an IP address at all.
 */
export function addressWithoutPort(entry: string): string | undefined {
  let s = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^[^:]+:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
  if (mapped) s = mapped[1]!;
  return isIP(s) ? s : undefined;
}

/**
 * The address a failed sign-in is counted against. Behind App Service (`trust proxy` 1) Express's
 * `req.ip` is the rightmost X-Forwarded-For entry — the one the trusted front end appended — and
 * that front end writes it with the client's source port, a new one per connection: the port is
 * dropped so that every connection of a client shares one key. Entries left of it are the
 * client's own words and are never read. An entry that is not an address falls back to the
 * socket's address, never to a key of its own. IPv6 clients are keyed by their /56, as
 * express-rate-limit does, so a client cannot step through its own prefix.
 */
export function clientAddress(req: Request): string {
  const address = addressWithoutPort(req.ip ?? '') ?? addressWithoutPort(req.socket.remoteAddress ?? '') ?? 'unknown';
  return ipKeyGenerator(address);
}
