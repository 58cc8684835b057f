import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseEnv } from '../../src/config';
import { credentialsNotice, loadConfig } from '../../src/credentials';
import { hostAllowed, parseHostList, refuseUrl } from '../../src/hosts';
import { SecretBox, SecretBoxError } from '../../src/crypto/secretBox';
import { mask } from '../../src/setup/settings';
import { startTelemetry } from '../../src/telemetry';
import { tempDir } from '../helpers/connector';

describe('configuration schema', () => {
  test('when nothing is set, then the SPEC defaults apply', () => {
    const c = parseEnv({});
    expect(c).toMatchObject({
      port: 3000,
      dataDir: './data',
      xApiBaseUrl: 'https://api.x.com',
      aadAuthorityHost: 'https://login.microsoftonline.com',
      eventApiBaseUrl: 'https://webhook.ingestion.office.com/',
      dailyItemCap: 200000,
      ingestCron: '*/5 * * * * *',
      deletionCheckCron: '0 30 3 * * *',
      deletionCheckDays: 30,
      maxAttachmentBytes: 10 * 1024 * 1024,
      logLevel: 'info',
      storageConnectionString: undefined,
    });
    expect(c.allowedMediaHosts.map((h) => h.host)).toEqual(['pbs.twimg.com', 'video.twimg.com', 'ton.twimg.com']);
    // X's published prices (X-API.md) and no budget.
    expect(c.xPrices).toEqual({ ownedRead: 0.001, postRead: 0.005, userRead: 0.01, dmRead: 0.01 });
    expect(c.xMonthlyBudgetUsd).toBeUndefined();
    expect(parseEnv({ X_PRICE_OWNED_READ: '0.005', X_MONTHLY_BUDGET_USD: '50' })).toMatchObject({ xPrices: { ownedRead: 0.005 }, xMonthlyBudgetUsd: 50 });
  });

  test.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['DAILY_ITEM_CAP', { DAILY_ITEM_CAP: '0' }],
    ['X_API_BASE_URL', { X_API_BASE_URL: 'api.x.com' }],
    ['EVENT_API_BASE_URL', { EVENT_API_BASE_URL: 'ftp://x' }],
    ['ALLOWED_BLOB_HOSTS', { ALLOWED_BLOB_HOSTS: 'https://a.com/' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['MAX_ATTACHMENT_MB', { MAX_ATTACHMENT_MB: '-1' }],
    ['X_PRICE_DM_READ', { X_PRICE_DM_READ: 'ten cents' }],
    ['X_PRICE_OWNED_READ', { X_PRICE_OWNED_READ: '-0.001' }],
    ['X_MONTHLY_BUDGET_USD', { X_MONTHLY_BUDGET_USD: '0' }],
    ['API_SECRET_KEY', { API_SECRET_KEY: 'short' }],
    ['INGEST_CRON', { INGEST_CRON: 'every five seconds' }],
    ['INGEST_CRON', { INGEST_CRON: '61 * * * *' }],
    ['INGEST_CRON', { INGEST_CRON: '* * * * * * *' }],
    ['DELETION_CHECK_CRON', { DELETION_CHECK_CRON: 'daily' }],
    ['DELETION_CHECK_DAYS', { DELETION_CHECK_DAYS: '0' }],
    ['TENANT_ID', { TENANT_ID: 'contoso.onmicrosoft.com' }],
    ['TENANT_ID', { TENANT_ID: '9188040d-6c67-4c5b-b112-36a304b66da' }],
  ])('when %s is wrong, then start-up stops with a message naming it', (name, env) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(name);
  });

  test('when NODE_ENV=production, then TENANT_ID and API_SECRET_KEY are required', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', TENANT_ID: '9188040d-6c67-4c5b-b112-36a304b66dad' })).toThrow(/API_SECRET_KEY: required when NODE_ENV=production/);
  });

  test('when TASK_VISIBILITY_SECONDS is not set, then a lease lasts 300 s with the embedded store and 45 s on Azure queues', () => {
    expect(parseEnv({}).taskVisibilityMs).toBe(300_000);
    expect(parseEnv({ STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).taskVisibilityMs).toBe(45_000);
    expect(parseEnv({ STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', TASK_VISIBILITY_SECONDS: '120' }).taskVisibilityMs).toBe(120_000);
  });

  test('when INGEST_CRON and TENANT_ID are well formed, then they are taken as given', () => {
    const c = parseEnv({ INGEST_CRON: '0 */10 * * * *', TENANT_ID: ' 9188040D-6C67-4C5B-B112-36A304B66DAD ' });
    expect(c.ingestCron).toBe('0 */10 * * * *');
    expect(c.tenantId).toBe('9188040d-6c67-4c5b-b112-36a304b66dad');
  });

  test('when credentials are missing outside production, then they are generated once, kept (0600) and reused', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    const file = join(dir, 'credentials.json');
    expect(first.generatedCredentialsFile).toBe(file);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.config.apiSecretKey.length).toBeGreaterThanOrEqual(24);
    expect(credentialsNotice(first)).toContain(`generated them and kept them in ${file}`);
    expect(credentialsNotice(first)).not.toContain('using the ones kept');
    const second = loadConfig({ DATA_DIR: dir });
    expect(credentialsNotice(second)).toContain(`using the ones kept in ${file}`);
    expect(credentialsNotice(second)).not.toContain('generated');
    expect(credentialsNotice(second)?.match(/Tenant Id:/g)).toHaveLength(1);
    expect(second.config.tenantId).toBe(first.config.tenantId);
    expect(second.config.apiSecretKey).toBe(first.config.apiSecretKey);
    expect(JSON.parse(readFileSync(file, 'utf8')).tenantId).toBe(first.config.tenantId);
  });

  test('when credentials are set, then nothing is generated', () => {
    const dir = tempDir();
    const r = loadConfig({ DATA_DIR: dir, TENANT_ID: '9188040d-6c67-4c5b-b112-36a304b66dad', API_SECRET_KEY: 'long-enough-secret' });
    expect(r.generatedCredentialsFile).toBeUndefined();
    expect(credentialsNotice(r)).toBeUndefined();
    expect(existsSync(join(dir, 'credentials.json'))).toBe(false);
  });
});

describe('host allowlists', () => {
  const list = parseHostList('*.blob.core.windows.net,127.0.0.1:10000,media.example');
  test.each([
    ['https://acct.blob.core.windows.net/c?sig=1', true],
    ['https://blob.core.windows.net/c', false],
    ['https://acct.blob.core.windows.net.evil.com/c', false],
    ['http://127.0.0.1:10000/devstoreaccount1/c', true],
    ['http://127.0.0.1:10001/devstoreaccount1/c', false],
    ['https://MEDIA.example/a.jpg', true],
    ['https://sub.media.example/a.jpg', false],
  ])('%s → %s', (url, ok) => {
    expect(hostAllowed(new URL(url), list)).toBe(ok);
  });

  test('plain http is refused unless the host is loopback', () => {
    const open = parseHostList('*.example.com,localhost:8080');
    expect(refuseUrl('http://a.example.com/x', open, 'U')).toMatch(/https/);
    expect(refuseUrl('http://localhost:8080/x', open, 'U')).toBeUndefined();
    expect(refuseUrl('https://user:pw@a.example.com/x', open, 'U')).toMatch(/credentials/);
  });
});

describe('secrets at rest', () => {
  test('a sealed value opens with the same key and purpose only', () => {
    const box = new SecretBox('key-material-1');
    const sealed = box.seal('hunter2-secret', 'setting:A');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'setting:A')).toBe('hunter2-secret');
    expect(() => box.open(sealed, 'setting:B')).toThrow(SecretBoxError);
    expect(() => new SecretBox('key-material-2').open(sealed, 'setting:A')).toThrow(/ENCRYPTION_KEY/);
    expect(box.seal('same', 'p')).not.toBe(box.seal('same', 'p'));
  });

  test('masks never show more than the last 4 characters, and fewer for short values', () => {
    expect(mask(undefined)).toBe('');
    expect(mask('abcdefghijklmnop')).toBe('********mnop');
    expect(mask('abcdefghij')).toBe('********ij');
    expect(mask('abcd')).toBe('********');
  });
});

describe('telemetry', () => {
  test('when APPLICATIONINSIGHTS_CONNECTION_STRING is not set, then the Azure Monitor distro is not even loaded', () => {
    expect(startTelemetry({})).toBe(false);
    expect(startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' })).toBe(false);
    expect(Object.keys(require.cache).some((k) => k.includes('monitor-opentelemetry'))).toBe(false);
  });
});
