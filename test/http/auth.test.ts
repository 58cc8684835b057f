import request from 'supertest';
import { startFakeAad, type FakeAad } from '../fakes/aad';
import { API_SECRET_KEY, basicAuth, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';
import { configure, SIX_SETTINGS } from '../helpers/signIn';

const APP_ID = SIX_SETTINGS.AADAppIdValue;
const IMPORT_APP = '570d0bec-d001-4c4e-985e-3ab17fdc3073';

let aad: FakeAad;
let c: TestConnector;

beforeAll(async () => {
  aad = await startFakeAad();
  // v2 tokens name the authority host in their issuer; nothing here asks that host for a token.
  c = await startConnector({ env: { AAD_JWKS_URL: aad.jwksUrl, AAD_AUTHORITY_HOST: 'https://login.microsoftonline.com' } });
  await configure(c);
});

afterAll(async () => {
  await c.close();
  await aad.close();
});

const v1 = (overrides: Record<string, unknown> = {}, opts?: { expiresInSec?: number; alg?: string }) =>
  aad.signImportToken({ tid: TENANT_ID, aud: APP_ID, ...overrides }, opts);

async function status(authorization: string | undefined): Promise<number> {
  const req = request(c.url).get('/setup/Validate');
  if (authorization !== undefined) req.set('Authorization', authorization);
  const res = await req;
  if (res.status !== 200) {
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(typeof res.body.Message).toBe('string');
  }
  return res.status;
}

describe('authentication matrix (GET /setup/Validate)', () => {
  test.each([
    ['no header', undefined, 401],
    ['empty header', '', 401],
    ['unknown scheme', `Digest ${Buffer.from(`${TENANT_ID}:${API_SECRET_KEY}`).toString('base64')}`, 401],
    ['Basic with the right tenant and secret (the secret has colons)', basicAuth(), 200],
    ['basic scheme in lower case', basicAuth().replace('Basic', 'basic'), 200],
    ['Basic with a wrong secret', basicAuth(TENANT_ID, 'wrong-secret'), 401],
    ['Basic with the secret cut at its first colon', basicAuth(TENANT_ID, API_SECRET_KEY.split(':')[0]), 401],
    ['Basic with the secret plus an extra character', basicAuth(TENANT_ID, `${API_SECRET_KEY}x`), 401],
    ['Basic with a wrong tenant', basicAuth('00000000-0000-0000-0000-000000000000', API_SECRET_KEY), 401],
    ['Basic with tenant and secret swapped', basicAuth(API_SECRET_KEY, TENANT_ID), 401],
    ['Basic with no colon', `Basic ${Buffer.from(`${TENANT_ID}${API_SECRET_KEY}`).toString('base64')}`, 401],
    ['Basic with garbage that is not base64', 'Basic %%%not-base64%%%', 401],
    ['Basic with an empty parameter', 'Basic ', 401],
  ])('%s → %i', async (_name, header, expected) => {
    expect(await status(header)).toBe(expected);
  });

  test('Bearer v1 token from the Import service of this tenant → 200', async () => {
    expect(await status(`Bearer ${await v1()}`)).toBe(200);
  });

  test('Bearer token whose audience is api://<app id> → 200', async () => {
    expect(await status(`Bearer ${await v1({ aud: `api://${APP_ID}` })}`)).toBe(200);
  });

  test('Bearer v2 token (azp, v2 issuer) → 200', async () => {
    const token = await v1({ appid: undefined, azp: IMPORT_APP, ver: '2.0', iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0` });
    expect(await status(`Bearer ${token}`)).toBe(200);
  });

  test.each([
    ['a prefix of the Import service app id', { appid: IMPORT_APP.slice(0, 8) }],
    ['another app id', { appid: '11111111-2222-3333-4444-555555555555' }],
    ['the app id with different case', { appid: IMPORT_APP.toUpperCase() }],
    ['the wrong tid', { tid: '00000000-0000-0000-0000-000000000000' }],
    ['no tid', { tid: undefined }],
    ['another audience', { aud: '22222222-3333-4444-5555-666666666666' }],
    ['a v1 token with a foreign issuer', { iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' }],
  ])('Bearer token with %s → 401', async (_name, claims) => {
    expect(await status(`Bearer ${await v1(claims)}`)).toBe(401);
  });

  test('expired Bearer token → 401', async () => {
    expect(await status(`Bearer ${await v1({}, { expiresInSec: -600 })}`)).toBe(401);
  });

  test('Bearer token signed by a key not in the JWKS → 401', async () => {
    expect(await status(`Bearer ${await aad.signWithForeignKey({ tid: TENANT_ID, aud: APP_ID })}`)).toBe(401);
  });

  test('Bearer token with alg none → 401', async () => {
    expect(await status(`Bearer ${await v1({}, { alg: 'none' })}`)).toBe(401);
  });

  test('Bearer token HMAC-signed with the public key (alg confusion) → 401', async () => {
    expect(await status(`Bearer ${await v1({}, { alg: 'HS256' })}`)).toBe(401);
  });

  test('Bearer garbage → 401', async () => {
    expect(await status('Bearer not.a.jwt')).toBe(401);
  });

  test('a failed sign-in changes nothing: POST /api/Configuration with a wrong secret does not save', async () => {
    const res = await request(c.url).post('/api/Configuration').set('Authorization', basicAuth(TENANT_ID, 'nope')).send({ AADAppSecretValue: 'attacker-value-123' });
    expect(res.status).toBe(401);
    expect((await c.store.getSettings()).AADAppSecret).toBe(SIX_SETTINGS.AADAppSecretValue);
  });
});

describe('brute-force protection', () => {
  test('when one address keeps failing, then it is refused with 429, and the right secret is refused too until the window passes', async () => {
    const limited = await startConnector({ authFailureLimit: 5 });
    try {
      for (let i = 0; i < 5; i++) {
        await request(limited.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, `guess-${i}`)).expect(401);
      }
      const refused = await request(limited.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, 'guess-6')).expect(429);
      expect(refused.body.Error).toBe('TooManyFailedSignIns');
      await request(limited.url).get('/setup/Validate').set('Authorization', basicAuth()).expect(429);
      // Public pages stay reachable.
      await request(limited.url).get('/').expect(200);
    } finally {
      await limited.close();
    }
  });

  test('when sign-ins succeed, then they are never counted', async () => {
    const limited = await startConnector({ authFailureLimit: 3 });
    try {
      for (let i = 0; i < 10; i++) await request(limited.url).get('/setup/Validate').set('Authorization', basicAuth()).expect(200);
      await request(limited.url).get('/setup/Validate').set('Authorization', basicAuth(TENANT_ID, 'x')).expect(401);
    } finally {
      await limited.close();
    }
  });
});
