import request from 'supertest';
import { basicAuth, startConnector, tempDir, TENANT_ID } from '../helpers/connector';
import { configure, SIX_SETTINGS } from '../helpers/signIn';

/**
 * README, Secrets: changing API_SECRET_KEY (without ENCRYPTION_KEY) makes the saved settings
 * unreadable. The admin must be told so, clearly, and be able to enter them again.
 */
test('when the connector restarts with another API_SECRET_KEY, then reading the settings says what happened (409, not 500), and saving all six again works', async () => {
  const dataDir = tempDir();
  const first = await startConnector({ dataDir });
  await configure(first);
  await first.close({ keepData: true });

  const NEW_KEY = 'a-new-api-secret-key-0123456789';
  const second = await startConnector({ dataDir, env: { API_SECRET_KEY: NEW_KEY } });
  try {
    const auth = basicAuth(TENANT_ID, NEW_KEY);
    const read = await request(second.url).get('/api/Configuration').set('Authorization', auth).expect(409);
    expect(read.body.Error).toBe('SecretsUnreadable');
    expect(read.body.Message).toMatch(/API_SECRET_KEY.*has changed.*enter all six settings again on the Configure page/);
    await request(second.url).get('/api/status').set('Authorization', auth).expect(409);

    await request(second.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200, 'true');
    const again = await request(second.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    expect(again.body.AADAppSecretValue).toBe(`********${SIX_SETTINGS.AADAppSecretValue.slice(-4)}`);
    expect(second.logs.text()).not.toContain(SIX_SETTINGS.AADAppSecretValue);
  } finally {
    await second.close();
  }
});
