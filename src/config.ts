import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { parseHostList, refuseUrl, type HostPattern } from './hosts';

/**
 * The one configuration schema (SPEC.md, "Configuration"). Parsed once at start;
 * a wrong value stops the app with a message naming the variable.
 */

const url = (name: string) =>
  z.url({ message: `${name} must be an absolute http(s) URL` }).refine((v) => /^https?:\/\//i.test(v), {
    message: `${name} must be an absolute http(s) URL`,
  });

const intFromEnv = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max);

const hostList = z.string().transform((value, ctx) => {
  try {
    return parseHostList(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Exported so that the ARM template's app settings can be checked against it. */
export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: intFromEnv(0, 65535).default(3000),
  // Microsoft's tenant id: Bearer tokens carry it as `tid`, so a domain name would fail every one of them.
  TENANT_ID: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'TENANT_ID must be the Microsoft 365 tenant id, a GUID such as 9188040d-6c67-4c5b-b112-36a304b66dad')
    // Tokens write it in lower case; so does every comparison with it.
    .transform((v) => v.toLowerCase())
    .optional(),
  API_SECRET_KEY: z.string().min(8, 'API_SECRET_KEY must be at least 8 characters').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  STORAGE_CONNECTION_STRING: z.string().trim().min(1).optional(),
  ENCRYPTION_KEY: z.string().min(16, 'ENCRYPTION_KEY must be at least 16 characters').optional(),
  X_API_BASE_URL: url('X_API_BASE_URL').default('https://api.x.com'),
  AAD_AUTHORITY_HOST: url('AAD_AUTHORITY_HOST').default('https://login.microsoftonline.com'),
  AAD_JWKS_URL: url('AAD_JWKS_URL').default('https://login.microsoftonline.com/common/discovery/v2.0/keys'),
  EVENT_API_BASE_URL: url('EVENT_API_BASE_URL').default('https://webhook.ingestion.office.com/'),
  ALLOWED_BLOB_HOSTS: hostList.default(
    parseHostList('*.blob.core.windows.net,*.blob.core.usgovcloudapi.net,*.blob.core.chinacloudapi.cn'),
  ),
  ALLOWED_MEDIA_HOSTS: hostList.default(parseHostList('pbs.twimg.com,video.twimg.com,ton.twimg.com')),
  DAILY_ITEM_CAP: intFromEnv(1, 10_000_000).default(200_000),
  // What X charges per resource read, in US$ (../shared/X-API.md, "Cost and limits"): the estimate on the status page.
  X_PRICE_OWNED_READ: z.coerce.number().min(0).max(100).default(0.001),
  X_PRICE_POST_READ: z.coerce.number().min(0).max(100).default(0.005),
  X_PRICE_USER_READ: z.coerce.number().min(0).max(100).default(0.01),
  X_PRICE_DM_READ: z.coerce.number().min(0).max(100).default(0.01),
  // Once this month's estimate reaches it, mentions and DMs pause until the month ends; unset: no budget.
  X_MONTHLY_BUDGET_USD: z.coerce.number().positive('X_MONTHLY_BUDGET_USD must be a positive amount of US$').optional(),
  INGEST_CRON: z
    .string()
    .trim()
    .refine((v) => validCron(v), { message: 'INGEST_CRON must be a cron pattern of 5 or 6 fields, e.g. */5 * * * * * (every 5 seconds)' })
    .default('*/5 * * * * *'),
  // The archive copy the organization owns (DATA_DIR/archive, or this container with STORAGE_CONNECTION_STRING).
  ARCHIVE: z.enum(['on', 'off'], { message: 'ARCHIVE must be on or off' }).default('on'),
  ARCHIVE_CONTAINER: z
    .string()
    .trim()
    .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'ARCHIVE_CONTAINER must be a blob container name: 3-63 lowercase letters, digits and single hyphens')
    .default('xconn-archive'),
  DELETION_CHECK_CRON: z
    .string()
    .trim()
    .refine((v) => validCron(v), { message: 'DELETION_CHECK_CRON must be a cron pattern of 5 or 6 fields, e.g. 0 30 3 * * * (03:30 every day)' })
    .default('0 30 3 * * *'),
  DELETION_CHECK_DAYS: intFromEnv(1, 3650).default(30),
  MAX_ATTACHMENT_MB: z.coerce.number().positive().max(1024).default(10),
  // Default per store (see parseEnv): 300 s embedded, 45 s on Azure queues.
  TASK_VISIBILITY_SECONDS: intFromEnv(2, 12 * 3600).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Optional alerts (src/alerts/alerter.ts): a secret URL (Teams or Slack incoming webhook), checked against ALLOWED_ALERT_HOSTS below.
  ALERT_WEBHOOK_URL: z.string().trim().optional(),
  ALLOWED_ALERT_HOSTS: hostList.default(parseHostList('hooks.slack.com,*.webhook.office.com,*.logic.azure.com,*.api.powerplatform.com')),
});

export interface Config {
  production: boolean;
  port: number;
  tenantId: string;
  apiSecretKey: string;
  dataDir: string;
  storageConnectionString: string | undefined;
  encryptionKey: string | undefined;
  xApiBaseUrl: string;
  aadAuthorityHost: string;
  aadJwksUrl: string;
  eventApiBaseUrl: string;
  allowedBlobHosts: HostPattern[];
  allowedMediaHosts: HostPattern[];
  dailyItemCap: number;
  /** US$ per resource read from X, and the monthly budget that pauses the optional sources. */
  xPrices: XPrices;
  xMonthlyBudgetUsd: number | undefined;
  ingestCron: string;
  /** The archive copy: off, or on (in DATA_DIR/archive, or in archiveContainer with Azure storage). */
  archive: boolean;
  archiveContainer: string;
  /** When the daily deletion check runs, and how many days of archived posts it asks X about. */
  deletionCheckCron: string;
  deletionCheckDays: number;
  maxAttachmentBytes: number;
  /** How long a leased task stays hidden; a crashed worker's task is retried after it. */
  taskVisibilityMs: number;
  logLevel: string;
  /** Where alerts go (a secret: never logged, never shown); undefined: no alerts. */
  alertWebhookUrl: string | undefined;
}

/** X's prices per resource read (US$). */
export interface XPrices {
  ownedRead: number;
  postRead: number;
  userRead: number;
  dmRead: number;
}

/**
 * How long a leased task stays hidden unless TASK_VISIBILITY_SECONDS says otherwise. The embedded
 * store records who holds a lease, so a restarted worker takes back a dead process's task at once
 * and the lease can be long. An Azure queue message names no holder: a dead instance's task comes
 * back only when its visibility runs out, so that is kept under a minute (renewed every third).
 */
export function defaultVisibilitySeconds(storageConnectionString: string | undefined): number {
  return storageConnectionString ? 45 : 300;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

/** Parses the environment. TENANT_ID / API_SECRET_KEY may come back empty; see resolveCredentials. */
export function parseEnv(env: Env): Omit<Config, 'tenantId' | 'apiSecretKey'> & {
  tenantId: string | undefined;
  apiSecretKey: string | undefined;
} {
  // Empty strings in .env mean "unset", as in .env.example.
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production) {
    const missing = (['TENANT_ID', 'API_SECRET_KEY'] as const).filter((k) => !e[k]);
    if (missing.length) {
      throw new ConfigError(`Invalid configuration:\n  ${missing.map((k) => `${k}: required when NODE_ENV=production`).join('\n  ')}`);
    }
  }
  return {
    production,
    port: e.PORT,
    tenantId: e.TENANT_ID,
    apiSecretKey: e.API_SECRET_KEY,
    dataDir: e.DATA_DIR,
    storageConnectionString: e.STORAGE_CONNECTION_STRING,
    encryptionKey: e.ENCRYPTION_KEY,
    xApiBaseUrl: e.X_API_BASE_URL.replace(/\/+$/, ''),
    aadAuthorityHost: e.AAD_AUTHORITY_HOST.replace(/\/+$/, ''),
    aadJwksUrl: e.AAD_JWKS_URL,
    eventApiBaseUrl: e.EVENT_API_BASE_URL.endsWith('/') ? e.EVENT_API_BASE_URL : `${e.EVENT_API_BASE_URL}/`,
    allowedBlobHosts: e.ALLOWED_BLOB_HOSTS,
    allowedMediaHosts: e.ALLOWED_MEDIA_HOSTS,
    dailyItemCap: e.DAILY_ITEM_CAP,
    xPrices: { ownedRead: e.X_PRICE_OWNED_READ, postRead: e.X_PRICE_POST_READ, userRead: e.X_PRICE_USER_READ, dmRead: e.X_PRICE_DM_READ },
    xMonthlyBudgetUsd: e.X_MONTHLY_BUDGET_USD,
    ingestCron: e.INGEST_CRON,
    archive: e.ARCHIVE === 'on',
    archiveContainer: e.ARCHIVE_CONTAINER,
    deletionCheckCron: e.DELETION_CHECK_CRON,
    deletionCheckDays: e.DELETION_CHECK_DAYS,
    maxAttachmentBytes: Math.floor(e.MAX_ATTACHMENT_MB * 1024 * 1024),
    taskVisibilityMs: (e.TASK_VISIBILITY_SECONDS ?? defaultVisibilitySeconds(e.STORAGE_CONNECTION_STRING)) * 1000,
    logLevel: e.LOG_LEVEL,
    alertWebhookUrl: alertWebhook(e.ALERT_WEBHOOK_URL, e.ALLOWED_ALERT_HOSTS),
  };
}

/** The alert webhook, refused at start when it is not https on an ALLOWED_ALERT_HOSTS host; the message never shows the URL (it is a secret). */
function alertWebhook(raw: string | undefined, allowed: HostPattern[]): string | undefined {
  if (!raw) return undefined;
  const why = refuseUrl(raw, allowed, 'ALERT_WEBHOOK_URL');
  if (why) throw new ConfigError(`Invalid configuration:\n  ALERT_WEBHOOK_URL: ${why.replace(/^ALERT_WEBHOOK_URL /, '')}${/allowed hosts/.test(why) ? ' (ALLOWED_ALERT_HOSTS)' : ''}`);
  return raw;
}
