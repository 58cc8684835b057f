/**
 * The setup routes when X does not answer — refused, dropped or reset connections, half an
 * answer, no answer in time: 503 JSON that says X could not be reached and to try again (the
 * setup page shows its Message), never a 500 "Internal error", and nothing half-done is stored.
 */
import express, { type RequestHandler } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startFakeX, type FakeX, type FakeXFault } from '../fakes/xServer';
import { errorHandler } from '../../src/http/errorHandler';
import { connectorSetupRoutes } from '../../src/http/routes/connectorSetup';
import { Audit } from '../../src/audit/audit';
import { SignInService } from '../../src/setup/signIn';
import { XGateway } from '../../src/x/xClient';
import { basicAuth, startConnector, type TestConnector } from '../helpers/connector';
import { ACCOUNT, ACCOUNT_TOKENS, beginSignIn, configure, signInJob, X_APP } from '../helpers/signIn';

let x: FakeX;
let c: TestConnector;
const auth = basicAuth();

beforeEach(async () => {
  x = await startFakeX({ ...X_APP });
  x.addUser(ACCOUNT, ACCOUNT_TOKENS);
  c = await startConnector({ env: { X_API_BASE_URL: x.url } });
  await configure(c);
});
afterEach(async () => {
  await c.close();
  await x.close();
});

const oauthUrl = (url: string) =>
  request(url).get('/api/ConnectorSetup/OAuthUrl').query({ jobType: 'Twitter', jobId: 'job-1', redirectUrl: `${url}/Views/TwitterOAuth` }).set('Authorization', auth);
const storeToken = (url: string, oauthToken: string, verifier: string) =>
  request(url)
    .post('/api/ConnectorSetup/StoreToken')
    .set('Authorization', auth)
    .send({ temporaryAccessCode: `oauth_token=${oauthToken}&oauth_verifier=${verifier}`, redirectUrl: `${url}/Views/TwitterOAuth`, jobId: 'job-1' });

describe('Login web app (OAuthUrl) when X does not answer', () => {
  test('when nothing listens at X_API_BASE_URL, then OAuthUrl answers 503 saying X could not be reached and to try again', async () => {
    const offline = await startConnector({ env: { X_API_BASE_URL: 'http://127.0.0.1:9' } }); // the discard port: refused
    try {
      await configure(offline);
      const res = await oauthUrl(offline.url).expect(503).expect('content-type', /json/);
      expect(res.body).toEqual({
        Error: 'Transient',
        Message: 'Requesting an X sign-in token: X could not be reached (the connection was refused). Try again in a moment.',
      });
    } finally {
      await offline.close();
    }
  });

  const cases: [string, FakeXFault, string][] = [
    ['drops the connection', { kind: 'drop' }, 'X could not be reached (the connection was closed before an answer)'],
    ['resets the connection', { kind: 'reset' }, 'X could not be reached (the connection was reset)'],
    ['sends half its answer', { kind: 'truncate' }, "X's answer broke off before it was complete"],
  ];
  test.each(cases)('when X %s, then OAuthUrl answers 503 with what happened, stores no request token, and the next try works', async (_, fault, said) => {
    x.injectFaults(/^\/oauth\/request_token$/, [fault]);
    const res = await oauthUrl(c.url).expect(503);
    expect(res.body.Error).toBe('Transient');
    expect(res.body.Message).toBe(`Requesting an X sign-in token: ${said}. Try again in a moment.`);
    expect(await c.store.deleteRequestTokens('job-1')).toBe(0);
    const again = await oauthUrl(c.url).expect(200);
    expect(again.body).toMatch(new RegExp(`^${x.url}/oauth/authenticate\\?oauth_token=`));
  });
});

describe('finishing the sign-in when X does not answer', () => {
  test('when X drops the connection on the token exchange (StoreToken), then 503 says to log in with Twitter again and nothing is stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    x.injectFaults(/^\/oauth\/access_token$/, [{ kind: 'drop' }]);
    const res = await storeToken(c.url, oauthToken, oauth_verifier).expect(503);
    expect(res.body).toEqual({
      Error: 'Transient',
      Message: 'Exchanging the X sign-in token: X could not be reached (the connection was closed before an answer). Click "Login with Twitter" to try again in a moment.',
    });
    expect(await c.store.getJob('job-1')).toBeUndefined();
  });

  test('when X sends half its answer to the token exchange, then the callback page says X could not be reached and nothing is stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    x.injectFaults(/^\/oauth\/access_token$/, [{ kind: 'truncate' }]);
    const res = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(503);
    expect(res.text).toContain('X could not be reached to finish the sign-in; nothing was stored.');
    expect(await c.store.getJob('job-1')).toBeUndefined();
    expect(c.logs.text()).not.toContain('unhandled error');
  });

  test('when X drops the connection while the account is read (GetEntities), then 503 says so and to try again', async () => {
    await signInJob(c, x, 'job-1');
    x.injectFaults(/^\/2\/users\/me$/, [{ kind: 'drop' }]);
    const res = await request(c.url).get('/api/ConnectorSetup/GetEntities').query({ jobType: 'Twitter', jobId: 'job-1' }).set('Authorization', auth).expect(503);
    expect(res.body.Message).toBe('Reading the signed-in X account: X could not be reached (the connection was closed before an answer). Try again in a moment.');
    const again = await request(c.url).get('/api/ConnectorSetup/GetEntities').query({ jobType: 'Twitter', jobId: 'job-1' }).set('Authorization', auth).expect(200);
    expect(again.body[0].Id).toBe(ACCOUNT.id);
  });
});

describe('X sends nothing past the timeout', () => {
  // The setup routes over a gateway whose X calls give up after 400 ms (the app's is 30 s).
  let server: Server;
  let url: string;
  beforeEach(async () => {
    const app = express();
    const withLog: RequestHandler = (req, _res, next) => {
      (req as unknown as { log: unknown }).log = c.logger;
      next();
    };
    const signIn = new SignInService(c.store, new XGateway(x.url, { timeoutMs: 400 }), () => new Date());
    app.use(withLog, express.json());
    const audit = new Audit({ store: c.store, logger: c.logger, clock: () => new Date() });
    app.use(connectorSetupRoutes({ config: c.config, store: c.store, clock: () => new Date(), signIn, requireAuth: (_req, _res, next) => next(), audit }));
    app.use(errorHandler);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('when X stalls on request_token, then OAuthUrl answers 503 once the timeout passes', async () => {
    x.injectFaults(/^\/oauth\/request_token$/, [{ kind: 'stall' }]);
    const started = Date.now();
    const res = await oauthUrl(url).expect(503);
    expect(res.body.Message).toBe('Requesting an X sign-in token: X could not be reached (no answer within 0.4 s). Try again in a moment.');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('when X stalls halfway through the token exchange, then StoreToken answers 503 and nothing is stored', async () => {
    const res1 = await oauthUrl(url).expect(200);
    const oauthToken = new URL(res1.body as string).searchParams.get('oauth_token')!;
    const { oauth_verifier } = x.authorize(oauthToken);
    x.injectFaults(/^\/oauth\/access_token$/, [{ kind: 'truncate', then: 'stall' }]);
    const res = await storeToken(url, oauthToken, oauth_verifier).expect(503);
    expect(res.body.Message).toMatch(/^Exchanging the X sign-in token: X('s answer broke off| could not be reached)/);
    expect(await c.store.getJob('job-1')).toBeUndefined();
  });
});
