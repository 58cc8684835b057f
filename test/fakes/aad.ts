/**
 * Test helper: a fake Microsoft Entra ID (AAD) on 127.0.0.1.
 *
 * - HTTPS with a self-signed certificate (CN/SAN 127.0.0.1 + localhost) generated at runtime
 *   (Node 20's node:crypto can parse certificates but not create them, so a minimal X.509
 *   DER builder lives below; the key is an ephemeral P-256 key, nothing is written to disk).
 * - The same routes are also served over plain HTTP on a second port, so `jwksUrl` can be
 *   fetched by jose's createRemoteJWKSet with the default fetch (no CA setup needed).
 *
 * Routes (HTTPS and HTTP):
 *   GET  /common/discovery/v2.0/keys, /{tenant}/discovery/v2.0/keys, /common/discovery/keys  → JWKS
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/.well-known/openid-configuration
 *   GET  /common/discovery/instance                                                           → instance discovery
 *   POST /{tenant}/oauth2/v2.0/token (client_credentials)                                     → access token (JWT)
 *
 * msal-node refuses http authorities, so msal is pointed at the HTTPS URL with a custom
 * `system.networkClient` that trusts the generated CA: see msalNetworkClientFor / msalConfigFor.
 */
import {
  createHash,
  createHmac,
  generateKeyPair as generateKeyPairCb,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  randomUUID,
  sign as cryptoSign,
  constants as cryptoConstants,
  X509Certificate,
} from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Configuration, INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/** appid of the Office 365 Import service (the caller of /data/OnDownloadRequest). */
export const IMPORT_SERVICE_APP_ID = '570d0bec-d001-4c4e-985e-3ab17fdc3073';
/** Scope the connector asks for when reporting to the Event API. */
export const EVENT_API_SCOPE = 'https://microsoft.onmicrosoft.com/4e476d41-2395-42be-89ff-34cb9186a1ac/.default';

export interface TokenRequestRecord {
  tenant: string;
  clientId: string;
  scope: string;
  /** HTTP status the fake answered with (200, 401 for a wrong secret, failNextTokenRequests status, …; 0 for none). */
  status: number;
}

export interface FakeAad {
  /** https://127.0.0.1:PORT (no trailing slash); use `${url}/${tenant}` as msal authority. */
  url: string;
  /** '127.0.0.1:PORT' — put it in msal `knownAuthorities`. */
  host: string;
  /** Plain-HTTP JWKS URL (http://127.0.0.1:PORT2/common/discovery/v2.0/keys): works with jose's default fetch. */
  jwksUrl: string;
  /** Same JWKS over HTTPS (needs `fetchWithCa(fake.caPem)` as jose customFetch). */
  jwksHttpsUrl: string;
  /** PEM of the self-signed server certificate (it is its own CA). */
  caPem: string;
  /** The kid of the served signing key. */
  kid: string;
  /** Every POST to a token endpoint that carried a form body, in order (failed ones too, see `status`). */
  tokenRequests: TokenRequestRecord[];
  /** Every request the fake saw (method + path without query), for "nothing unexpected" assertions. */
  requests: { method: string; path: string }[];
  /**
   * Signs an import-service-style JWT. Defaults: v1 token from the Office 365 Import service
   * (`appid`, `iss: https://sts.windows.net/<tid>/`, `ver: '1.0'`, iat/nbf/exp); the caller
   * gives `tid` and `aud`. A claim set to `undefined` is removed.
   * opts.alg: 'RS256' (default) | 'RS384' | 'RS512' | 'PS256' (served key), 'HS256' (HMAC keyed
   * with the served public key's PEM — the classic alg-confusion attack), 'none' (unsigned).
   */
  signImportToken(
    claims: Record<string, unknown>,
    opts?: { expiresInSec?: number; kid?: string; alg?: string },
  ): Promise<string>;
  /** RS256 JWT with the same header kid but signed by a key that is not in the JWKS. */
  signWithForeignKey(claims: Record<string, unknown>): Promise<string>;
  /**
   * The next n token requests get `status` (default 503) with an AAD-style JSON error, plus a
   * `Retry-After: retryAfterSec` header when given. Note msal-node (per application instance)
   * throttles after a 429/5xx: it sends nothing for Retry-After seconds, or 60 s without the
   * header, and throws the cached error instead.
   * 'drop' instead of a status closes the connection without an answer, as a network failure does;
   * 'stall' never answers (the connection stays open until the client gives up).
   */
  failNextTokenRequests(n: number, status?: number | 'drop' | 'stall', retryAfterSec?: number): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Minimal DER / X.509 builder (self-signed, ECDSA P-256 + SHA-256)
// ---------------------------------------------------------------------------------------------

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
}
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);
const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 + n, ...c);
const derTrue = (): Buffer => Buffer.from([0x01, 0x01, 0xff]);
function derInt(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
  if (((v[0] ?? 0) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
function utcTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s =
    p(d.getUTCFullYear() % 100) +
    p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) +
    p(d.getUTCHours()) +
    p(d.getUTCMinutes()) +
    p(d.getUTCSeconds()) +
    'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}
const cnName = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), derTrue(), octets(value)) : seq(oid(id), octets(value));
}

/** A self-signed TLS certificate for 127.0.0.1 and localhost, valid from 1 h ago for `days`. */
export function generateSelfSignedCert(days = 7): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = cnName('127.0.0.1');
  const now = Date.now();
  const san = seq(tlv(0x82, Buffer.from('localhost', 'ascii')), tlv(0x87, Buffer.from([127, 0, 0, 1])));
  const tbs = seq(
    explicit(0, derInt(Buffer.from([2]))), // v3
    derInt(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86400_000))),
    name,
    spki,
    explicit(
      3,
      seq(
        extension('2.5.29.19', true, seq(derTrue())), // basicConstraints CA:TRUE (it is its own trust anchor)
        extension('2.5.29.15', true, bitString(Buffer.from([0x84]), 2)), // keyUsage digitalSignature, keyCertSign
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage serverAuth
        extension('2.5.29.14', false, octets(createHash('sha1').update(spki).digest())), // subjectKeyIdentifier
        extension('2.5.29.17', false, san), // subjectAltName DNS:localhost, IP:127.0.0.1
      ),
    ),
  );
  const signature = cryptoSign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ecdsaWithSha256, bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  new X509Certificate(certPem); // sanity check: throws if malformed
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

// ---------------------------------------------------------------------------------------------
// JWT signing (node:crypto; verification in tests is done with jose)
// ---------------------------------------------------------------------------------------------

const generateKeyPair = promisify(generateKeyPairCb);
const b64url = (v: Buffer | string): string => Buffer.from(v).toString('base64url');

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject, publicPem: string): string {
  const alg = String(header.alg);
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const data = Buffer.from(input, 'ascii');
  let sig: Buffer;
  switch (alg) {
    case 'none':
      return `${input}.`;
    case 'RS256':
    case 'RS384':
    case 'RS512':
      sig = cryptoSign(`sha${alg.slice(2)}`, data, key);
      break;
    case 'PS256':
    case 'PS384':
    case 'PS512':
      sig = cryptoSign(`sha${alg.slice(2)}`, data, {
        key,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(alg.slice(2)) / 8,
      });
      break;
    case 'HS256':
    case 'HS384':
    case 'HS512':
      sig = createHmac(`sha${alg.slice(2)}`, publicPem).update(data).digest();
      break;
    default:
      throw new Error(`fake AAD: unsupported alg ${alg}`);
  }
  return `${input}.${b64url(sig)}`;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

export async function startFakeAad(opts: { clientSecret?: string } = {}): Promise<FakeAad> {
  const { certPem, keyPem } = generateSelfSignedCert();
  const [signing, foreign] = await Promise.all([
    generateKeyPair('rsa', { modulusLength: 2048 }),
    generateKeyPair('rsa', { modulusLength: 2048 }),
  ]);
  const kid = createHash('sha256').update(signing.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 27);
  const publicPem = signing.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwk = signing.publicKey.export({ format: 'jwk' });
  // Shaped like login.microsoftonline.com's keys (no "alg" member).
  const jwks = { keys: [{ kty: 'RSA', use: 'sig', kid, n: jwk.n, e: jwk.e }] };

  const tokenRequests: TokenRequestRecord[] = [];
  const requests: { method: string; path: string }[] = [];
  let failures = 0;
  let failureStatus: number | 'drop' | 'stall' = 503;
  let failureRetryAfter: number | undefined;
  let httpsOrigin = '';

  const nowSec = (): number => Math.floor(Date.now() / 1000);

  const openIdConfig = (tenant: string, v2: boolean): Record<string, unknown> => {
    const base = `${httpsOrigin}/${tenant}`;
    return {
      token_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${httpsOrigin}/${tenant}/discovery/${v2 ? 'v2.0/' : ''}keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? `${base}/v2.0` : `https://sts.windows.net/${tenant}/`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}authorize`,
      device_authorization_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/${v2 ? 'v2.0/' : ''}logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'appid', 'azp', 'roles'],
      tenant_region_scope: 'WW',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = u.pathname.replace(/\/+$/, '') || '/';
    requests.push({ method, path });
    const segs = path.split('/').filter(Boolean);
    const tenant = segs[0] ?? '';

    if (method === 'GET' && /^\/[^/]+\/discovery(\/v2\.0)?\/keys$/.test(path) && TENANT_RE.test(tenant)) {
      return sendJson(res, 200, jwks);
    }
    if (method === 'GET' && path === '/common/discovery/instance') {
      const host = new URL(httpsOrigin).host;
      return sendJson(res, 200, {
        tenant_discovery_endpoint: `${httpsOrigin}/${u.searchParams.get('authorization_endpoint')?.split('/')[3] ?? 'common'}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    const wellKnown = /^\/([^/]+)(\/v2\.0)?\/\.well-known\/openid-configuration$/.exec(path);
    if (method === 'GET' && wellKnown && TENANT_RE.test(tenant)) {
      return sendJson(res, 200, openIdConfig(tenant, Boolean(wellKnown[2])));
    }
    if (method === 'POST' && /^\/[^/]+\/oauth2(\/v2\.0)?\/token$/.test(path) && TENANT_RE.test(tenant)) {
      const form = new URLSearchParams(await readBody(req));
      const clientId = form.get('client_id') ?? '';
      const scope = form.get('scope') ?? '';
      const record: TokenRequestRecord = { tenant, clientId, scope, status: 0 };
      tokenRequests.push(record);
      const aadError = (status: number, error: string, description: string, headers?: Record<string, string>): void => {
        record.status = status;
        sendJson(
          res,
          status,
          {
            error,
            error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
            error_codes: [],
            timestamp: new Date().toISOString(),
            trace_id: randomUUID(),
            correlation_id: randomUUID(),
          },
          headers,
        );
      };
      if (failures > 0) {
        failures--;
        if (failureStatus === 'drop') return void req.socket.destroy();
        if (failureStatus === 'stall') return;
        return aadError(
          failureStatus,
          failureStatus === 429 ? 'too_many_requests' : 'temporarily_unavailable',
          'AADSTS50196: fake AAD failure (failNextTokenRequests).',
          failureRetryAfter === undefined ? {} : { 'retry-after': String(failureRetryAfter) },
        );
      }
      if (form.get('grant_type') !== 'client_credentials') {
        return aadError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
      }
      if (!clientId) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain 'client_id'.");
      if (!scope.endsWith('/.default')) {
        return aadError(400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid.');
      }
      if (opts.clientSecret !== undefined && form.get('client_secret') !== opts.clientSecret) {
        return aadError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      }
      const iat = nowSec();
      const accessToken = signJwt(
        { typ: 'JWT', alg: 'RS256', kid },
        {
          aud: scope.slice(0, -'/.default'.length),
          iss: `https://sts.windows.net/${tenant}/`,
          iat,
          nbf: iat,
          exp: iat + 3599,
          appid: clientId,
          appidacr: '1',
          idtyp: 'app',
          oid: randomUUID(),
          sub: randomUUID(),
          tid: tenant,
          ver: '1.0',
        },
        signing.privateKey,
        publicPem,
      );
      record.status = 200;
      return sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: accessToken,
      });
    }
    sendJson(res, 404, { error: 'not_found', error_description: `fake AAD: no route for ${method} ${path}` });
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err) });
      else res.destroy();
    });
  };
  const httpsServer = https.createServer({ cert: certPem, key: keyPem }, listener);
  const httpServer = http.createServer(listener);
  const [httpsPort, httpPort] = await Promise.all([listen(httpsServer), listen(httpServer)]);
  httpsOrigin = `https://127.0.0.1:${httpsPort}`;
  const host = `127.0.0.1:${httpsPort}`;

  const baseClaims = (claims: Record<string, unknown>, expiresInSec: number): Record<string, unknown> => {
    const iat = nowSec();
    const tid = typeof claims.tid === 'string' ? claims.tid : undefined;
    const merged: Record<string, unknown> = {
      aud: undefined,
      iss: tid ? `https://sts.windows.net/${tid}/` : undefined,
      iat,
      nbf: iat - 60,
      exp: iat + expiresInSec,
      appid: IMPORT_SERVICE_APP_ID,
      appidacr: '2',
      idp: tid ? `https://sts.windows.net/${tid}/` : undefined,
      oid: randomUUID(),
      sub: randomUUID(),
      ver: '1.0',
      ...claims,
    };
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    return merged;
  };

  let closed: Promise<void> | undefined;
  return {
    url: httpsOrigin,
    host,
    jwksUrl: `http://127.0.0.1:${httpPort}/common/discovery/v2.0/keys`,
    jwksHttpsUrl: `${httpsOrigin}/common/discovery/v2.0/keys`,
    caPem: certPem,
    kid,
    tokenRequests,
    requests,
    async signImportToken(claims, o = {}) {
      const alg = o.alg ?? 'RS256';
      const header: Record<string, unknown> = { typ: 'JWT', alg };
      if (alg !== 'none') header.kid = o.kid ?? kid;
      return signJwt(header, baseClaims(claims, o.expiresInSec ?? 3600), signing.privateKey, publicPem);
    },
    async signWithForeignKey(claims) {
      return signJwt({ typ: 'JWT', alg: 'RS256', kid }, baseClaims(claims, 3600), foreign.privateKey, publicPem);
    },
    failNextTokenRequests(n, status = 503, retryAfterSec) {
      failures = n;
      failureStatus = status;
      failureRetryAfter = retryAfterSec;
    },
    close: () => (closed ??= Promise.all([closeServer(httpsServer), closeServer(httpServer)]).then(() => undefined)),
  };
}

// ---------------------------------------------------------------------------------------------
// Clients that trust the fake's certificate
// ---------------------------------------------------------------------------------------------

function httpsRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; ca: string; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: init.method,
        headers: init.headers,
        ...(u.protocol === 'https:' ? { ca: init.ca, agent: false } : { agent: false }),
        signal: init.signal,
        timeout: init.timeoutMs ?? 10000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * An msal `system.networkClient` that sends requests with node:https trusting `caPem`, and
 * refuses (throws) any URL whose origin is not in `allowedOrigins` — so a test proves that no
 * request leaves loopback.
 */
export function msalNetworkClientWithCa(caPem: string, allowedOrigins?: string[]): INetworkModule {
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    if (allowedOrigins && !allowedOrigins.includes(new URL(url).origin)) {
      throw new Error(`fake AAD network client: refusing request to ${url}`);
    }
    const headers: Record<string, string> = { ...(options?.headers ?? {}) };
    if (method === 'POST' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8';
    }
    const r = await httpsRequest(url, {
      method,
      headers,
      body: method === 'POST' ? (options?.body ?? '') : undefined,
      ca: caPem,
      timeoutMs: timeout,
    });
    let body: unknown;
    try {
      body = r.body ? JSON.parse(r.body) : {};
    } catch {
      body = { error: 'invalid_response', error_description: r.body.slice(0, 500) };
    }
    return { status: r.status, headers: r.headers, body: body as T };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}

/** msalNetworkClientWithCa for this fake; only the fake's HTTPS origin is allowed. */
export function msalNetworkClientFor(fake: Pick<FakeAad, 'caPem' | 'url'>): INetworkModule {
  return msalNetworkClientWithCa(fake.caPem, [new URL(fake.url).origin]);
}

/** The ConfidentialClientApplication configuration that works against the fake. */
export function msalConfigFor(
  fake: Pick<FakeAad, 'caPem' | 'url' | 'host'>,
  app: { tenantId: string; clientId: string; clientSecret: string },
): Configuration {
  return {
    auth: {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authority: `${fake.url}/${app.tenantId}`,
      knownAuthorities: [fake.host],
    },
    system: { networkClient: msalNetworkClientFor(fake) },
  };
}

/**
 * A fetch for jose's `[customFetch]` (createRemoteJWKSet) that trusts `caPem` — for the HTTPS
 * JWKS URL. Node 20's global fetch has no per-request CA option without the undici package.
 */
export function fetchWithCa(caPem: string): (url: string, init: { headers: Headers; method: string; signal?: AbortSignal }) => Promise<Response> {
  return async (url, init) => {
    const headers: Record<string, string> = {};
    init.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const r = await httpsRequest(url, { method: init.method, headers, ca: caPem, signal: init.signal });
    return new Response(r.body, { status: r.status, headers: r.headers });
  };
}
