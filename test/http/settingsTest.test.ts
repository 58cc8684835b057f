import request from 'supertest';
import { msalNetworkClientFor, startFakeAad, type FakeAad } from '../fakes/aad';
import { startFakeX, type FakeX } from '../fakes/xServer';
import { basicAuth, startConnector, type TestConnector } from '../helpers/connector';
import { configure, SIX_SETTINGS, X_APP } from '../helpers/signIn';

/**
 * "Test settings" (POST /api/Configuration/Test): the saved settings tried against X (request
 * token; GET /2/users/me with the access token pair) and Entra (client credentials), against the
 * fakes. Each wrong value is named, right ones pass, and no value is ever in the answer.
 */
const APP_OWNER = { id: '1500000000000000077', name: 'Contoso App Owner', username: 'contoso_dev' };
let x: FakeX;
let aad: FakeAad;
let c: TestConnector;

beforeAll(async () => {
  x = await startFakeX({ ...X_APP });
  x.addUser(APP_OWNER, { accessToken: SIX_SETTINGS.TwitterAccessTokenValue, accessSecret: SIX_SETTINGS.TwitterAccessTokenSecretValue });
  aad = await startFakeAad({ clientSecret: SIX_SETTINGS.AADAppSecretValue });
  c = await startConnector({ env: { X_API_BASE_URL: x.url, AAD_AUTHORITY_HOST: aad.url }, networkClient: msalNetworkClientFor(aad) });
});
afterAll(async () => {
  await c.close();
  await Promise.all([x.close(), aad.close()]);
});

async function testSettings(settings: Record<string, string>) {
  await configure(c, { ...SIX_SETTINGS, ...settings });
  const res = await request(c.url).post('/api/Configuration/Test').set('Authorization', basicAuth()).send({}).expect(200);
  const text = JSON.stringify(res.body);
  for (const v of [...Object.values(SIX_SETTINGS).filter((v) => v !== SIX_SETTINGS.AADAppIdValue), ...Object.values(settings)]) expect(text).not.toContain(v);
  return res.body as { Ok: boolean; Checks: { Settings: string[]; Ok: boolean | null; Message: string }[] };
}

test('when all six are right, then X and Entra accept each pair', async () => {
  const r = await testSettings({});
  expect(r.Ok).toBe(true);
  expect(r.Checks.map((ch) => [ch.Settings, ch.Ok])).toEqual([
    [['Twitter Api Key', 'Twitter Api Secret Key'], true],
    [['Twitter Access Token', 'Twitter Access Token Secret'], true],
    [['AAD Application ID', 'AAD Application Secret'], true],
  ]);
  expect(r.Checks[1]!.Message).toBe('X accepted the access token pair (it belongs to @contoso_dev).');
});

test('when the X API key is wrong, then that pair is named as refused, and the tokens are not checked with it', async () => {
  const r = await testSettings({ TwitterApiSecretKeyValue: 'wrong-consumer-secret-9999' });
  expect(r.Ok).toBe(false);
  expect(r.Checks[0]).toMatchObject({ Ok: false });
  expect(r.Checks[0]!.Message).toMatch(/^X refused the Twitter Api Key or Twitter Api Secret Key \(HTTP 401\)\. Copy both again from the X developer portal/);
  expect(r.Checks[1]).toMatchObject({ Ok: null, Message: 'Not checked: X must accept the Twitter Api Key and Secret Key first.' });
  expect(r.Checks[2]).toMatchObject({ Ok: true });
});

test('when the X access token is wrong, then the token pair is named as refused', async () => {
  const r = await testSettings({ TwitterAccessTokenValue: 'someone-elses-token-8888' });
  expect(r.Checks.map((ch) => ch.Ok)).toEqual([true, false, true]);
  expect(r.Checks[1]!.Message).toMatch(/^X refused the Twitter Access Token or Twitter Access Token Secret \(HTTP 401\)/);
});

test('when the AAD secret is wrong, then Entra is said to refuse the AAD Application Secret, with what to do', async () => {
  const r = await testSettings({ AADAppSecretValue: 'not-the-secret-7777' });
  expect(r.Checks.map((ch) => ch.Ok)).toEqual([true, true, false]);
  expect(r.Checks[2]!.Message).toMatch(/^Entra refused the AAD Application Secret \(AADSTS7000215, invalid client secret\)\. Create a new client secret/);
});

test('when X cannot be reached, then the X checks say so (not known) instead of refused', async () => {
  x.injectFaults(/^\/oauth\/request_token$/, [{ kind: 'drop' }, { kind: 'drop' }]);
  const r = await testSettings({});
  expect(r.Checks[0]).toMatchObject({ Ok: null });
  expect(r.Checks[0]!.Message).toMatch(/^Not known: .*X could not be reached/);
});

test('without credentials, nothing is tested', async () => {
  await request(c.url).post('/api/Configuration/Test').send({}).expect(401);
});
