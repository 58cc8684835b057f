import request from 'supertest';
import { addressWithoutPort } from '../../src/http/clientAddress';
import { basicAuth, startConnector, TENANT_ID, type TestConnector } from '../helpers/connector';

/**
 * Behind Azure App Service (NODE_ENV=production, `trust proxy` 1), the front end appends the client
 * to X-Forwarded-For as `ip:port`, a new port per connection. The failed-sign-in limit must still
 * count one client as one, whatever the port and whatever the client wrote in front of it.
 */
const LIMIT = 5;
let c: TestConnector;
let port = 50000;

beforeEach(async () => {
  c = await startConnector({ env: { NODE_ENV: 'production' }, authFailureLimit: LIMIT });
});
afterEach(async () => {
  await c.close();
});

/** A sign-in as it reaches the app through App Service: the front end's entry is the rightmost. */
function viaFrontEnd(client: string, opts: { secret?: string; forged?: string } = {}) {
  port += 1;
  const entry = client.includes(':') ? `[${client}]:${port}` : `${client}:${port}`;
  const header = opts.forged ? `${opts.forged}, ${entry}` : entry;
  return request(c.url)
    .get('/setup/Validate')
    .set('X-Forwarded-For', header)
    .set('Authorization', opts.secret === undefined ? basicAuth() : basicAuth(TENANT_ID, opts.secret));
}

async function failUntilLimited(client: string, forged?: (i: number) => string): Promise<void> {
  for (let i = 0; i < LIMIT; i++) {
    await viaFrontEnd(client, { secret: `guess-${i}`, forged: forged?.(i) }).expect(401);
  }
  const refused = await viaFrontEnd(client, { secret: 'guess-last', forged: forged?.(LIMIT) }).expect(429);
  expect(refused.body.Error).toBe('TooManyFailedSignIns');
}

describe('the failed sign-in limit behind App Service', () => {
  test('when wrong secrets come from one client with a new source port each time, then it is refused with 429 past the limit, and another client still signs in', async () => {
    await failUntilLimited('203.0.113.7');
    // The right secret from the locked-out client is refused too, until the window passes.
    await viaFrontEnd('203.0.113.7').expect(429);
    await viaFrontEnd('198.51.100.20').expect(200);
  });

  test('when the client writes forged entries in front of the front end\'s, then they do not give it a fresh key', async () => {
    await failUntilLimited('203.0.113.8', (i) => `10.0.0.${i}, 192.0.2.${i}:${1000 + i}`);
    await viaFrontEnd('198.51.100.21').expect(200);
  });

  test('when the client is on IPv6 (written in brackets with a port), then it is limited the same way', async () => {
    await failUntilLimited('2001:db8::7');
    // Another address of the same /56 is the same client; another prefix is not.
    await viaFrontEnd('2001:db8:0:1::9').expect(429);
    await viaFrontEnd('2001:db8:1::7').expect(200);
  });

  test('when the front end\'s entry is not an address, then the socket address is the key, not one per request', async () => {
    for (let i = 0; i < LIMIT; i++) {
      await request(c.url).get('/setup/Validate').set('X-Forwarded-For', `junk-${i}`).set('Authorization', basicAuth(TENANT_ID, 'x')).expect(401);
    }
    await request(c.url).get('/setup/Validate').set('X-Forwarded-For', 'junk-again').set('Authorization', basicAuth()).expect(429);
  });
});

describe('without a proxy (not production)', () => {
  test('when a client sends X-Forwarded-For itself, then it is ignored and the socket address is counted', async () => {
    const direct = await startConnector({ authFailureLimit: LIMIT });
    try {
      for (let i = 0; i < LIMIT; i++) {
        await request(direct.url).get('/setup/Validate').set('X-Forwarded-For', `203.0.113.${i}`).set('Authorization', basicAuth(TENANT_ID, 'x')).expect(401);
      }
      await request(direct.url).get('/setup/Validate').set('X-Forwarded-For', '203.0.113.99').set('Authorization', basicAuth()).expect(429);
    } finally {
      await direct.close();
    }
  });
});

describe('addressWithoutPort', () => {
  test.each([
    ['203.0.113.7:50123', '203.0.113.7'],
    ['203.0.113.7', '203.0.113.7'],
    ['[2001:db8::7]:50123', '2001:db8::7'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['2001:db8::7', '2001:db8::7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    [' 198.51.100.1:1 ', '198.51.100.1'],
    ['unknown', undefined],
    ['example.com:443', undefined],
    ['', undefined],
    ['[not-an-ip]:80', undefined],
  ])('%j → %j', (entry, expected) => {
    expect(addressWithoutPort(entry)).toBe(expected);
  });
});
