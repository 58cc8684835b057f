import request from 'supertest';
import { startFakeX, type FakeX } from '../fakes/xServer';
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

describe('X sign-in (OAuth 1.0a) over HTTP', () => {
  test('when the whole setup flow runs, then the job holds the account tokens and IsCreated is true', async () => {
    const { loginUrl, oauthToken } = await beginSignIn(c, 'job-1');
    expect(loginUrl.startsWith(`${x.url}/oauth/authenticate?oauth_token=`)).toBe(true);

    // The popup first goes through our page, which only ever redirects to X's own sign-in page.
    const popup = await request(c.url).get('/Views/TwitterOAuth').query({ loginUrl }).expect(302);
    expect(popup.headers['location']).toBe(loginUrl);
    const page = await fetch(loginUrl);
    expect(await page.text()).toContain('Authorize app');

    const { oauth_verifier } = x.authorize(oauthToken);
    const cb = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(200);
    expect(cb.text).toContain('Closing window...');
    expect(cb.text).toContain('/public/oauth-callback.js');

    const job = await c.store.getJob('job-1');
    expect(job).toMatchObject({ accountId: ACCOUNT.id, accountUsername: ACCOUNT.username, accessToken: ACCOUNT_TOKENS.accessToken });
    // The exchange really went to X, signed with the request token.
    expect(x.requests.some((r) => r.path === '/oauth/access_token' && r.oauth?.['oauth_token'] === oauthToken)).toBe(true);

    const before = await request(c.url).get('/job/IsCreated').query({ jobId: 'job-1' }).set('Authorization', auth).expect(200);
    expect(before.body).toEqual({ IsJobCreated: false, Reason: null });

    const entities = await request(c.url).get('/api/ConnectorSetup/GetEntities').query({ jobType: 'Twitter', jobId: 'job-1' }).set('Authorization', auth).expect(200);
    expect(entities.body).toEqual([{ Id: ACCOUNT.id, Name: ACCOUNT.name, AdditionalInfo: '@contoso', AlreadyUsed: false }]);

    await request(c.url)
      .post('/api/ConnectorSetup/SavePage')
      .query({ jobId: 'job-1', tenantId: c.config.tenantId })
      .set('Authorization', auth)
      .send({ Id: ACCOUNT.id, Name: ACCOUNT.name })
      .expect(200, 'true');
    const after = await request(c.url).get('/job/IsCreated').query({ jobId: 'job-1' }).set('Authorization', auth).expect(200);
    expect(after.body).toEqual({ IsJobCreated: true, Reason: null });
  });

  test('when a second job signs in with the same account, then GetEntities says it is already used', async () => {
    await signInJob(c, x, 'job-1');
    const { oauthToken } = await beginSignIn(c, 'job-2');
    const { oauth_verifier } = x.authorize(oauthToken);
    await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(200);
    const entities = await request(c.url).get('/api/ConnectorSetup/GetEntities').query({ jobType: 'Twitter', jobId: 'job-2' }).set('Authorization', auth).expect(200);
    expect(entities.body[0].AlreadyUsed).toBe(true);
  });

  test('when the user cancels on X, then a clear message is shown and nothing is stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const res = await request(c.url).get('/Views/TwitterOAuth').query({ denied: oauthToken }).expect(200);
    expect(res.text).toContain('Sign-in to X was cancelled');
    expect(res.text).not.toContain('Closing window...');
    expect(await c.store.getJob('job-1')).toBeUndefined();
    // The request token is gone: a late callback with it is refused.
    const late = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier: 'whatever' }).expect(400);
    expect(late.text).toContain('already used or is unknown');
  });

  test('when the callback is replayed, then the second one is refused and changes nothing', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(200);
    const exchanges = x.requests.filter((r) => r.path === '/oauth/access_token').length;
    const jobBefore = await c.store.getJob('job-1');

    const replay = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(400);
    expect(replay.text).toContain('already used or is unknown');
    expect(x.requests.filter((r) => r.path === '/oauth/access_token').length).toBe(exchanges);
    expect(await c.store.getJob('job-1')).toEqual(jobBefore);
  });

  test('when the callback comes after 15 minutes, then it is refused as expired and nothing is stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    c.clock.offsetMs = 15 * 60 * 1000 + 1000;
    const res = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(400);
    expect(res.text).toContain('has expired');
    expect(await c.store.getJob('job-1')).toBeUndefined();
    expect(x.requests.some((r) => r.path === '/oauth/access_token')).toBe(false);
  });

  test('when X refuses the verifier, then the page says so and nothing is stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    x.authorize(oauthToken);
    const res = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier: 'wrong-verifier' }).expect(400);
    expect(res.text).toContain('X did not accept this sign-in');
    expect(await c.store.getJob('job-1')).toBeUndefined();
  });

  test('when loginUrl points anywhere but X, then the page refuses to redirect', async () => {
    const res = await request(c.url).get('/Views/TwitterOAuth').query({ loginUrl: 'https://evil.example/oauth/authenticate?oauth_token=a' }).expect(400);
    expect(res.headers['location']).toBeUndefined();
    expect(res.text).toContain('reached without its parameters');
  });

  test('when the callback page is opened bare, then it explains where to start', async () => {
    const res = await request(c.url).get('/views/twitteroauth').expect(400);
    expect(res.text).toContain('Login with Twitter');
  });

  test('when StoreToken is given the callback parameters, then it completes the same exchange', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-9');
    const { oauth_verifier } = x.authorize(oauthToken);
    await request(c.url)
      .post('/api/ConnectorSetup/StoreToken')
      .set('Authorization', auth)
      .send({ temporaryAccessCode: `oauth_token=${oauthToken}&oauth_verifier=${oauth_verifier}`, redirectUrl: `${c.url}/Views/TwitterOAuth`, jobId: 'job-9' })
      .expect(200, 'true');
    expect((await c.store.getJob('job-9'))?.accountId).toBe(ACCOUNT.id);
  });

  test('when StoreToken names another job than the one the sign-in began for, then 400 and nothing stored', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-9');
    const { oauth_verifier } = x.authorize(oauthToken);
    const res = await request(c.url)
      .post('/api/ConnectorSetup/StoreToken')
      .set('Authorization', auth)
      .send({ temporaryAccessCode: `oauth_token=${oauthToken}&oauth_verifier=${oauth_verifier}`, redirectUrl: `${c.url}/Views/TwitterOAuth`, jobId: 'job-other' })
      .expect(400);
    expect(res.body.Message).toContain('another job');
    expect(await c.store.getJob('job-other')).toBeUndefined();
    expect(await c.store.getJob('job-9')).toBeUndefined();
  });

  test('when OAuthUrl names a callback on another host, then 400 and X is not called', async () => {
    const res = await request(c.url)
      .get('/api/ConnectorSetup/OAuthUrl')
      .query({ jobType: 'Twitter', jobId: 'job-1', redirectUrl: 'https://evil.example/Views/TwitterOAuth' })
      .set('Authorization', auth)
      .expect(400);
    expect(res.body.Message).toContain('must point at this connector');
    expect(x.requests.some((r) => r.path === '/oauth/request_token')).toBe(false);
  });

  test('when the X keys are not configured, then OAuthUrl says which settings to enter', async () => {
    const bare = await startConnector({ env: { X_API_BASE_URL: x.url } });
    try {
      const res = await request(bare.url)
        .get('/api/ConnectorSetup/OAuthUrl')
        .query({ jobType: 'Twitter', jobId: 'job-1', redirectUrl: `${bare.url}/Views/TwitterOAuth` })
        .set('Authorization', auth)
        .expect(409);
      expect(res.body.Message).toContain('Twitter Api Key');
    } finally {
      await bare.close();
    }
  });

  test('when X rejects the consumer keys, then OAuthUrl answers 409 naming what to check, not a crash', async () => {
    await configure(c, { TwitterApiSecretKeyValue: 'not-the-right-consumer-secret' });
    const res = await request(c.url)
      .get('/api/ConnectorSetup/OAuthUrl')
      .query({ jobType: 'Twitter', jobId: 'job-1', redirectUrl: `${c.url}/Views/TwitterOAuth` })
      .set('Authorization', auth);
    expect(res.status).toBe(409);
    expect(res.body.Message).toContain('Twitter Api Secret Key');
    expect(res.body.Message).toContain(`${c.url}/Views/TwitterOAuth`);
  });

  test('when GetEntities is asked for a job nobody signed in, then 404', async () => {
    const res = await request(c.url).get('/api/ConnectorSetup/GetEntities').query({ jobType: 'Twitter', jobId: 'nobody' }).set('Authorization', auth).expect(404);
    expect(res.body.Error).toBe('NotFound');
  });

  test('when SavePage names another account than the signed-in one, then 400 and the job is not saved', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(200);
    await request(c.url).post('/api/ConnectorSetup/SavePage').query({ jobId: 'job-1' }).set('Authorization', auth).send({ Id: '42', Name: 'Someone' }).expect(400);
    await request(c.url)
      .post('/api/ConnectorSetup/SavePage')
      .query({ jobId: 'job-1', tenantId: 'another-tenant' })
      .set('Authorization', auth)
      .send({ Id: ACCOUNT.id, Name: ACCOUNT.name })
      .expect(400);
    expect((await c.store.getJob('job-1'))?.saved).toBe(false);
  });

  test('when DeleteToken is called, then the pending request token no longer works', async () => {
    const { oauthToken } = await beginSignIn(c, 'job-1');
    const { oauth_verifier } = x.authorize(oauthToken);
    await request(c.url).get('/api/ConnectorSetup/DeleteToken').query({ jobType: 'Twitter', jobId: 'job-1' }).set('Authorization', auth).expect(200, 'true');
    await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(400);
    expect(await c.store.getJob('job-1')).toBeUndefined();
  });
});

describe('job lifecycle routes', () => {
  test('when OnRemediation Relogin comes, then the job needs sign-in again until a new sign-in clears it', async () => {
    await signInJob(c, x, 'job-1');
    await request(c.url).get('/job/OnRemediation').query({ jobId: 'job-1', remediationType: 'Relogin' }).set('Authorization', auth).expect(200);
    expect((await c.store.getJob('job-1'))?.needsRelogin).toBe(true);
    await signInJob(c, x, 'job-1');
    expect((await c.store.getJob('job-1'))?.needsRelogin).toBe(false);
  });

  test('when OnRemediation is Unknown, then the job is left as it is', async () => {
    await signInJob(c, x, 'job-1');
    await request(c.url).get('/job/OnRemediation').query({ jobId: 'job-1', remediationType: 'Unknown' }).set('Authorization', auth).expect(200);
    expect((await c.store.getJob('job-1'))?.needsRelogin).toBe(false);
  });

  test('when OnRemediation names an unknown job or type, then 404 / 400', async () => {
    await request(c.url).get('/job/OnRemediation').query({ jobId: 'nope', remediationType: 'Relogin' }).set('Authorization', auth).expect(404);
    await signInJob(c, x, 'job-1');
    await request(c.url).get('/job/OnRemediation').query({ jobId: 'job-1', remediationType: 'Reboot' }).set('Authorization', auth).expect(400);
  });

  test('when a job is deleted, then it and its tokens are gone and a second delete is 404', async () => {
    await signInJob(c, x, 'job-1');
    await beginSignIn(c, 'job-1');
    await request(c.url).delete('/job/OnDeleted').query({ jobId: 'job-1' }).set('Authorization', auth).expect(200);
    expect(await c.store.getJob('job-1')).toBeUndefined();
    expect(await c.store.deleteRequestTokens('job-1')).toBe(0);
    const again = await request(c.url).delete('/job/OnDeleted').query({ jobId: 'job-1' }).set('Authorization', auth).expect(404);
    expect(again.body.Error).toBe('NotFound');
  });

  test('when IsCreated is asked about an unknown job, then false', async () => {
    const res = await request(c.url).get('/JOB/iscreated').query({ JobId: 'nobody' }).set('Authorization', auth).expect(200);
    expect(res.body).toEqual({ IsJobCreated: false, Reason: null });
  });
});
