import { createHash } from 'node:crypto';
import { ApiResponseError } from 'twitter-api-v2';
import { AppError, TransientError } from '../errors';
import type { EventApiClient } from '../ingest/eventApi';
import type { Settings } from '../store/types';
import { createTwitterApi } from '../x/xClient';

/** What one check of "Test settings" found about the settings it names; never a value. */
export interface SettingCheck {
  /** The settings this check is about, by their Configure page labels. */
  Settings: string[];
  /** true: accepted; false: refused or not set; null: could not be asked (unreachable, not checked). */
  Ok: boolean | null;
  Message: string;
}

export interface SettingsCheckOptions {
  xApiBaseUrl: string;
  eventApi: Pick<EventApiClient, 'checkCredentials'>;
  clock: () => Date;
  /** Reuse an answer this long (the status page's health): X's request-token limit is small. */
  ttlMs?: number;
  /** X calls give up after this. */
  timeoutMs?: number;
}

const X_APP = ['Twitter Api Key', 'Twitter Api Secret Key'];
const X_TOKEN = ['Twitter Access Token', 'Twitter Access Token Secret'];
const AAD = ['AAD Application ID', 'AAD Application Secret'];

const notSet = (labels: string[], settings: (string | undefined)[]): SettingCheck | undefined => {
  const missing = labels.filter((_, i) => !settings[i]);
  return missing.length ? { Settings: labels, Ok: false, Message: `Not set: ${missing.join(' and ')}. Enter ${missing.length > 1 ? 'them' : 'it'} above and save.` } : undefined;
};

function refusedByX(err: unknown): number | undefined {
  const cause = err instanceof ApiResponseError ? err : (err as { cause?: unknown })?.cause;
  return cause instanceof ApiResponseError && (cause.code === 401 || cause.code === 403) ? cause.code : undefined;
}

function unreachable(labels: string[], err: unknown): SettingCheck {
  const message = err instanceof AppError ? err.message : (err as Error)?.message ?? String(err);
  return { Settings: labels, Ok: null, Message: `Not known: ${message}. Try again in a moment.` };
}

/** What Entra's AADSTS codes mean for the admin, by the setting to change. */
const AADSTS: Record<string, string> = {
  '7000215': 'Entra refused the AAD Application Secret (AADSTS7000215, invalid client secret). Create a new client secret under Entra admin center → App registrations → the app → Certificates & secrets, and enter its Value (not its Secret ID).',
  '7000222': 'The AAD Application Secret has expired (AADSTS7000222). Create a new client secret under Entra admin center → App registrations → the app → Certificates & secrets, and enter its Value.',
  '700016': 'Entra knows no application with this AAD Application ID in the tenant (AADSTS700016). Copy the Application (client) ID from Entra admin center → App registrations → the app → Overview.',
  '90002': 'Entra does not know the tenant (AADSTS90002): check TENANT_ID in the connector\'s app settings.',
};

/**
 * "Test settings" (the Configure page) and the status page's health: asks X for a request token
 * with the API key and secret, checks the access token pair with GET /2/users/me, and asks Entra
 * for a client-credentials token with the AAD app; says per setting which was refused and why.
 * Answers are cached per settings (a hash, no value kept in clear) for ttlMs.
 */
export class SettingsChecker {
  private cached: { key: string; at: number; result: Promise<SettingCheck[]> } | undefined;

  constructor(private readonly opts: SettingsCheckOptions) {}

  /** fresh: ask again now (the admin clicked Test settings); otherwise a recent answer is reused. */
  check(settings: Settings, fresh = false): Promise<SettingCheck[]> {
    const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    const now = this.opts.clock().getTime();
    const c = this.cached;
    if (!fresh && c && c.key === key && now - c.at < (this.opts.ttlMs ?? 5 * 60_000)) return c.result;
    const result = this.run(settings);
    this.cached = { key, at: now, result };
    return result;
  }

  private async run(s: Settings): Promise<SettingCheck[]> {
    const app = await this.xApp(s);
    const [token, aad] = await Promise.all([this.xToken(s, app.Ok === true), this.aad(s)]);
    return [app, token, aad];
  }

  private async xApp(s: Settings): Promise<SettingCheck> {
    const missing = notSet(X_APP, [s.TwitterApiKey, s.TwitterApiSecretKey]);
    if (missing) return missing;
    try {
      await createTwitterApi(this.opts.xApiBaseUrl, { appKey: s.TwitterApiKey!, appSecret: s.TwitterApiSecretKey! }, this.opts.timeoutMs).generateAuthLink('oob');
      return { Settings: X_APP, Ok: true, Message: 'X accepted the Twitter Api Key and Twitter Api Secret Key.' };
    } catch (err) {
      const status = refusedByX(err);
      if (status) {
        return {
          Settings: X_APP,
          Ok: false,
          Message: `X refused the Twitter Api Key or Twitter Api Secret Key (HTTP ${status}). Copy both again from the X developer portal → your app → Keys and tokens → Consumer Keys.`,
        };
      }
      return unreachable(X_APP, err);
    }
  }

  private async xToken(s: Settings, appAccepted: boolean): Promise<SettingCheck> {
    const missing = notSet(X_TOKEN, [s.TwitterAccessToken, s.TwitterAccessTokenSecret]);
    if (missing) return missing;
    if (!appAccepted) return { Settings: X_TOKEN, Ok: null, Message: 'Not checked: X must accept the Twitter Api Key and Secret Key first.' };
    try {
      const client = createTwitterApi(
        this.opts.xApiBaseUrl,
        { appKey: s.TwitterApiKey!, appSecret: s.TwitterApiSecretKey!, accessToken: s.TwitterAccessToken!, accessSecret: s.TwitterAccessTokenSecret! },
        this.opts.timeoutMs,
      );
      const { data } = await client.v2.me();
      return { Settings: X_TOKEN, Ok: true, Message: `X accepted the access token pair (it belongs to @${data.username}).` };
    } catch (err) {
      const status = refusedByX(err);
      if (status) {
        return {
          Settings: X_TOKEN,
          Ok: false,
          Message: `X refused the Twitter Access Token or Twitter Access Token Secret (HTTP ${status}). Generate them again in the X developer portal → your app → Keys and tokens → Access Token and Secret, and enter both.`,
        };
      }
      return unreachable(X_TOKEN, err);
    }
  }

  private async aad(s: Settings): Promise<SettingCheck> {
    const missing = notSet(AAD, [s.AADAppId, s.AADAppSecret]);
    if (missing) return missing;
    try {
      await this.opts.eventApi.checkCredentials({ clientId: s.AADAppId!, clientSecret: s.AADAppSecret! });
      return { Settings: AAD, Ok: true, Message: 'Entra issued a token for the Microsoft 365 Event API with the AAD Application ID and Secret.' };
    } catch (err) {
      const text = (err as Error)?.message ?? '';
      const code = /AADSTS(\d+)/.exec(text)?.[1];
      if (code && AADSTS[code]) return { Settings: AAD, Ok: false, Message: AADSTS[code]! };
      if (code) return { Settings: AAD, Ok: false, Message: `Entra refused the AAD app (AADSTS${code}). Check the AAD Application ID and Secret in Entra admin center → App registrations.` };
      if (err instanceof TransientError && /could not be reached/.test(text)) return unreachable(AAD, err);
      return { Settings: AAD, Ok: false, Message: `Entra refused the AAD app: ${text.split('\n')[0]}` };
    }
  }
}
