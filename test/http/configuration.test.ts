import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { basicAuth, startConnector, tempDir, type TestConnector } from '../helpers/connector';
import { SIX_SETTINGS } from '../helpers/signIn';

const auth = basicAuth();
const SECRET_VALUES = Object.values(SIX_SETTINGS);

/** Every byte the store has on disk: the database and its WAL. */
function rawStoreBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('connector.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('configuration', () => {
  let c: TestConnector;
  beforeEach(async () => {
    c = await startConnector();
  });
  afterEach(async () => {
    await c.close();
  });

  test('when nothing is configured, then GET returns the six keys empty, the two archive options off, and Validate names all six', async () => {
    const res = await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    expect(res.body).toEqual({
      TwitterApiKeyValue: '',
      TwitterApiSecretKeyValue: '',
      TwitterAccessTokenValue: '',
      TwitterAccessTokenSecretValue: '',
      AADAppIdValue: '',
      AADAppSecretValue: '',
      ArchiveMentionsValue: false,
      ArchiveDirectMessagesValue: false,
    });
    const v = await request(c.url).get('/setup/Validate').set('Authorization', auth).expect(200);
    expect(v.body.Status).toBe(false);
    for (const label of ['Twitter Api Key', 'Twitter Api Secret Key', 'Twitter Access Token', 'Twitter Access Token Secret', 'AAD Application ID', 'AAD Application Secret']) {
      expect(v.body.Message).toContain(label);
    }
  });

  test('when all six are saved, then Validate is true and GET shows masks with at most the last 4 characters', async () => {
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200, 'true');
    const v = await request(c.url).get('/setup/Validate').set('Authorization', auth).expect(200);
    expect(v.body).toEqual({ Status: true, Message: null });
    const res = await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    for (const [key, value] of Object.entries(SIX_SETTINGS)) {
      const shown = res.body[key] as string;
      expect(shown).toBe(`********${value.slice(-4)}`);
      expect(shown).not.toContain(value.slice(0, -4));
    }
  });

  test('when a field is missing, null or "", then the stored value is kept; a new value replaces it', async () => {
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200);
    await request(c.url)
      .post('/api/Configuration')
      .set('Authorization', auth)
      .send({ TwitterApiKeyValue: '', TwitterApiSecretKeyValue: null, AADAppSecretValue: 'rotated-aad-secret-9999' })
      .expect(200);
    const s = await c.store.getSettings();
    expect(s.TwitterApiKey).toBe(SIX_SETTINGS.TwitterApiKeyValue);
    expect(s.TwitterApiSecretKey).toBe(SIX_SETTINGS.TwitterApiSecretKeyValue);
    expect(s.TwitterAccessToken).toBe(SIX_SETTINGS.TwitterAccessTokenValue);
    expect(s.AADAppSecret).toBe('rotated-aad-secret-9999');
  });

  test('when the page posts back the mask it was shown, then the stored value is kept', async () => {
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200);
    const shown = (await request(c.url).get('/api/Configuration').set('Authorization', auth)).body as Record<string, string>;
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send(shown).expect(200);
    expect((await c.store.getSettings()).AADAppSecret).toBe(SIX_SETTINGS.AADAppSecretValue);
  });

  test('when the archive options are posted as booleans, then GET returns them as they are, an absent one is kept, and Validate does not ask for them', async () => {
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send({ ...SIX_SETTINGS, ArchiveMentionsValue: true }).expect(200, 'true');
    let res = await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    expect(res.body).toMatchObject({ ArchiveMentionsValue: true, ArchiveDirectMessagesValue: false });
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send({ ArchiveDirectMessagesValue: true }).expect(200);
    res = await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    expect(res.body).toMatchObject({ ArchiveMentionsValue: true, ArchiveDirectMessagesValue: true, TwitterApiKeyValue: `********${SIX_SETTINGS.TwitterApiKeyValue.slice(-4)}` });
    await request(c.url).post('/api/Configuration').set('Authorization', auth).send({ ArchiveMentionsValue: false }).expect(200);
    res = await request(c.url).get('/api/Configuration').set('Authorization', auth).expect(200);
    expect(res.body).toMatchObject({ ArchiveMentionsValue: false, ArchiveDirectMessagesValue: true });
    expect((await request(c.url).get('/setup/Validate').set('Authorization', auth).expect(200)).body).toEqual({ Status: true, Message: null });
  });

  test.each([['"true"', 'true'], ['1', 1], ['null', null], ['an object', { on: true }]])(
    'when an archive option is %s rather than a boolean, then 400 naming the key, and nothing is saved',
    async (_what, value) => {
      const res = await request(c.url)
        .post('/api/Configuration')
        .set('Authorization', auth)
        .send({ ...SIX_SETTINGS, ArchiveDirectMessagesValue: value })
        .expect(400);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.body.Message).toContain('ArchiveDirectMessagesValue');
      expect(res.body.Message).toMatch(/true or false/);
      expect(await c.store.getSettings()).toEqual({});
    },
  );

  test('when the AAD Application ID is not a GUID, then 400 naming the field, and nothing is saved', async () => {
    const res = await request(c.url)
      .post('/api/Configuration')
      .set('Authorization', auth)
      .send({ ...SIX_SETTINGS, AADAppIdValue: 'not-a-guid' })
      .expect(400);
    expect(res.body.Message).toContain('AADAppIdValue');
    expect(await c.store.getSettings()).toEqual({});
  });
});

describe('secrets never leak', () => {
  test('after saving the six settings, no response, page or log line holds them, the database file does not either, and they survive a restart', async () => {
    const dir = tempDir();
    const first = await startConnector({ dataDir: dir });
    const bodies: string[] = [];
    const grab = (res: request.Response) => {
      bodies.push(res.text ?? '', JSON.stringify(res.headers));
      return res;
    };
    grab(await request(first.url).post('/api/Configuration').set('Authorization', auth).send(SIX_SETTINGS).expect(200));
    grab(await request(first.url).get('/api/Configuration').set('Authorization', auth).expect(200));
    grab(await request(first.url).get('/setup/Validate').set('Authorization', auth).expect(200));
    for (const page of ['/', '/Configure', '/preview/OnJobCreating?jobId=j1&tenantId=t1', '/Views/TwitterOAuth', '/healthz', '/readyz']) {
      grab(await request(first.url).get(page));
    }
    // Bad input that echoes nothing of the secrets either.
    grab(await request(first.url).post('/api/Configuration').set('Authorization', auth).send({ ...SIX_SETTINGS, Extra: 1 }).expect(400));
    const logs = first.logs.text();
    expect(first.logs.lines.length).toBeGreaterThan(5);
    await first.close({ keepData: true });

    const raw = rawStoreBytes(dir);
    expect(raw.length).toBeGreaterThan(1000);
    for (const secret of SECRET_VALUES) {
      for (const body of bodies) expect(body).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(raw).not.toContain(secret);
    }
    // The API secret key itself is never logged either.
    expect(logs).not.toContain(basicAuth().slice(6));

    const second = await startConnector({ dataDir: dir });
    try {
      const s = await second.store.getSettings();
      expect(s).toEqual({
        TwitterApiKey: SIX_SETTINGS.TwitterApiKeyValue,
        TwitterApiSecretKey: SIX_SETTINGS.TwitterApiSecretKeyValue,
        TwitterAccessToken: SIX_SETTINGS.TwitterAccessTokenValue,
        TwitterAccessTokenSecret: SIX_SETTINGS.TwitterAccessTokenSecretValue,
        AADAppId: SIX_SETTINGS.AADAppIdValue,
        AADAppSecret: SIX_SETTINGS.AADAppSecretValue,
      });
      const v = await request(second.url).get('/setup/Validate').set('Authorization', auth).expect(200);
      expect(v.body.Status).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('health', () => {
  test('healthz and readyz answer; readyz names the store', async () => {
    const c = await startConnector();
    try {
      await request(c.url).get('/healthz').expect(200, { Status: 'ok' });
      const ready = await request(c.url).get('/readyz').expect(200);
      expect(ready.body).toMatchObject({ Status: 'ready', Store: 'sqlite', Worker: { State: 'Problem', Alive: 0 }, Queue: { Depth: 0 } });
      await c.store.close();
      const down = await request(c.url).get('/readyz').expect(503);
      expect(down.body.Status).toBe('unavailable');
    } finally {
      await c.close();
    }
  });
});

describe('pages', () => {
  test('home, Configure and the job setup page carry the texts admins look for, and assets come from the app', async () => {
    const c = await startConnector();
    try {
      const home = await request(c.url).get('/').expect(200);
      expect(home.text).toContain('Connector service is up and running.');
      expect(home.text).toMatch(/<a href="\/Configure">Configure<\/a>/);
      const configure = await request(c.url).get('/configure').expect(200);
      expect(configure.text).toContain('Twitter Api Key');
      expect(configure.text).toContain('AAD Application Secret');
      const setup = await request(c.url).get('/preview/OnJobCreating').query({ jobId: 'j-1', tenantId: 't-1' }).expect(200);
      expect(setup.text).toContain('Login web app');
      expect(setup.text).toContain('Login with Twitter');
      expect(setup.text).toContain('data-job-id="j-1"');
      expect(setup.headers['content-security-policy']).toContain("script-src 'self'");
      for (const html of [home.text, configure.text, setup.text]) {
        expect(html).not.toMatch(/(src|href)="https?:\/\//);
      }
      await request(c.url).get('/public/setup.js').expect(200).expect('content-type', /javascript/);
      // A job id with markup in it is escaped, never rendered.
      const xss = await request(c.url).get('/preview/OnJobCreating').query({ jobId: '"><script>alert(1)</script>' }).expect(200);
      expect(xss.text).not.toContain('<script>alert(1)</script>');
    } finally {
      await c.close();
    }
  });
});
