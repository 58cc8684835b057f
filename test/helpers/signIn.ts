import request from 'supertest';
import type { FakeX } from '../fakes/xServer';
import { basicAuth } from './connector';

/** Any running connector: in-process (TestConnector) or a child process. */
export interface Endpoint {
  url: string;
  config: { tenantId: string };
}

export const X_APP = { consumerKey: 'xapp-consumer-key-0001', consumerSecret: 'xapp-consumer-secret-0002' };
export const ACCOUNT = { id: '1500000000000000001', name: 'Contoso News', username: 'contoso' };
export const ACCOUNT_TOKENS = { accessToken: '1500000000000000001-accesstokenAAAA', accessSecret: 'access-secret-BBBB-0003' };

/** The six settings, with the X consumer keys of the fake X app. */
export const SIX_SETTINGS = {
  TwitterApiKeyValue: X_APP.consumerKey,
  TwitterApiSecretKeyValue: X_APP.consumerSecret,
  TwitterAccessTokenValue: 'app-owner-access-token-CCCC-0004',
  TwitterAccessTokenSecretValue: 'app-owner-access-secret-DDDD-0005',
  AADAppIdValue: '6731de76-14a6-49ae-97bc-6eba6914391e',
  AADAppSecretValue: 'aad-app-secret-EEEE-0006',
};

export async function configure(c: Endpoint, settings: Record<string, string> = SIX_SETTINGS): Promise<void> {
  await request(c.url).post('/api/Configuration').set('Authorization', basicAuth()).send(settings).expect(200, 'true');
}

/** Starts the sign-in for a job and returns the oauth_token X handed out. */
export async function beginSignIn(c: Endpoint, jobId: string): Promise<{ loginUrl: string; oauthToken: string }> {
  const res = await request(c.url)
    .get('/api/ConnectorSetup/OAuthUrl')
    .query({ jobType: 'Twitter', jobId, redirectUrl: `${c.url}/Views/TwitterOAuth` })
    .set('Authorization', basicAuth())
    .expect(200);
  const loginUrl = res.body as string;
  const oauthToken = new URL(loginUrl).searchParams.get('oauth_token')!;
  return { loginUrl, oauthToken };
}

/** The whole setup page flow over HTTP: OAuthUrl → X authorize → callback → GetEntities → SavePage. */
export async function signInJob(c: Endpoint, x: FakeX, jobId: string): Promise<void> {
  const { oauthToken } = await beginSignIn(c, jobId);
  const { oauth_verifier } = x.authorize(oauthToken);
  const cb = await request(c.url).get('/Views/TwitterOAuth').query({ oauth_token: oauthToken, oauth_verifier }).expect(200);
  if (!cb.text.includes('Closing window...')) throw new Error(`callback failed: ${cb.text}`);
  const entities = await request(c.url)
    .get('/api/ConnectorSetup/GetEntities')
    .query({ jobType: 'Twitter', jobId })
    .set('Authorization', basicAuth())
    .expect(200);
  const [entity] = entities.body as { Id: string; Name: string }[];
  await request(c.url)
    .post('/api/ConnectorSetup/SavePage')
    .query({ jobId, tenantId: c.config.tenantId })
    .set('Authorization', basicAuth())
    .send({ Id: entity!.Id, Name: entity!.Name })
    .expect(200, 'true');
}
