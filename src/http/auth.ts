import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { UnauthorizedError } from '../errors';

/** The Office 365 Import service's application id: the only app whose tokens we accept. */
export const IMPORT_SERVICE_APP_ID = '570d0bec-d001-4c4e-985e-3ab17fdc3073';

export interface AuthOptions {
  tenantId: string;
  apiSecretKey: string;
  aadAuthorityHost: string;
  /** Key set for Bearer tokens (remote JWKS at AAD_JWKS_URL in production). */
  jwks: JWTVerifyGetKey;
  /** The configured AAD Application ID (a stored setting, so read per request). */
  aadAppId: () => Promise<string | undefined>;
}

export type Principal = { kind: 'basic' } | { kind: 'bearer'; appId: string };

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time string comparison: hashing first makes lengths equal and hides them. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** `Basic base64(tenant:secret)`, split at the FIRST colon: the secret may contain colons. */
export function parseBasic(param: string): { user: string; secret: string } | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(param)) return undefined;
  const decoded = Buffer.from(param, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function remoteJwks(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
}

export class Authenticator {
  constructor(private readonly opts: AuthOptions) {}

  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new UnauthorizedError('Missing Authorization header');
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space);
    const param = space < 0 ? '' : header.slice(space + 1).trim();
    if (/^basic$/i.test(scheme)) return this.basic(param);
    if (/^bearer$/i.test(scheme)) return this.bearer(param);
    throw new UnauthorizedError('Unsupported Authorization scheme: use Basic or Bearer');
  }

  private basic(param: string): Principal {
    const creds = parseBasic(param);
    // Compare both parts even when the first differs, so timing does not tell which was wrong.
    // A tenant id is a GUID: its case carries no meaning.
    const tenantOk = safeEqual((creds?.user ?? '').toLowerCase(), this.opts.tenantId.toLowerCase());
    const secretOk = safeEqual(creds?.secret ?? '', this.opts.apiSecretKey);
    if (!creds || !tenantOk || !secretOk) throw new UnauthorizedError('Wrong tenant id or APISecretKey');
    return { kind: 'basic' };
  }

  private async bearer(token: string): Promise<Principal> {
    const appId = await this.opts.aadAppId();
    if (!appId) throw new UnauthorizedError('Bearer tokens are refused until the AAD Application ID is configured');
    let payload: JWTPayload;
    try {
      // Asymmetric algorithms only: `none` and HMAC (a public key used as a secret) never verify.
      ({ payload } = await jwtVerify(token, this.opts.jwks, {
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'],
        audience: [appId, `api://${appId}`],
        requiredClaims: ['exp', 'tid', 'iss'],
        clockTolerance: 60,
      }));
    } catch {
      throw new UnauthorizedError('Invalid bearer token');
    }
    const tid = payload['tid'];
    const caller = typeof payload['appid'] === 'string' ? payload['appid'] : payload['azp'];
    const v1 = typeof payload['appid'] === 'string';
    const expectedIssuer = v1
      ? `https://sts.windows.net/${this.opts.tenantId}/`
      : `${this.opts.aadAuthorityHost}/${this.opts.tenantId}/v2.0`;
    if (tid !== this.opts.tenantId || caller !== IMPORT_SERVICE_APP_ID || payload.iss !== expectedIssuer) {
      throw new UnauthorizedError('Bearer token is not from the Microsoft 365 Import service of this tenant');
    }
    return { kind: 'bearer', appId: caller };
  }
}

const BODY_ERROR = 'bodyError';

/**
 * Runs a body parser but keeps its error (malformed JSON, too large) for requireAuth to raise
 * once the caller is authenticated: a caller without credentials learns nothing of how its body
 * was read and gets the 401 first.
 */
export function deferBodyErrors(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    parser(req, res, (err?: unknown) => {
      if (err) res.locals[BODY_ERROR] = err;
      next();
    });
  };
}

export function requireAuth(auth: Authenticator): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    auth.authenticate(req.get('authorization')).then(
      (principal) => {
        res.locals['principal'] = principal;
        next(res.locals[BODY_ERROR]);
      },
      (err: unknown) => next(err),
    );
  };
}
