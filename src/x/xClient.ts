import http from 'node:http';
import https from 'node:https';
import {
  ApiPartialResponseError,
  ApiRequestError,
  ApiResponseError,
  TwitterApi,
  type ITwitterApiClientPlugin,
  type TwitterApiTokens,
} from 'twitter-api-v2';
import { AppError, NotConfiguredError, PermanentError, TransientError, networkFailure, seconds } from '../errors';

/** twitter-api-v2 hard-codes this prefix; every X call is redirected to X_API_BASE_URL. */
const X_PREFIX = 'https://api.x.com/';

/**
 * How long an X call may go without receiving anything before it is given up (and, in a task,
 * retried). twitter-api-v2 sets no timeout of its own: a stalled answer would wait forever.
 */
export const X_TIMEOUT_MS = 30_000;

export interface AppCredentials {
  appKey: string;
  appSecret: string;
}

export interface UserTokens {
  accessToken: string;
  accessSecret: string;
}

export interface XAccount {
  id: string;
  name: string;
  username: string;
  profileImageUrl: string | undefined;
}

/** Rewrites twitter-api-v2's fixed https://api.x.com/ URLs to the configured base URL. */
export function rewriteXUrl(url: string, baseUrl: string): string {
  return url.startsWith(X_PREFIX) ? `${baseUrl}/${url.slice(X_PREFIX.length)}` : url;
}

export function redirectPlugin(baseUrl: string): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      const original = params.url;
      params.url = rewriteXUrl(original, baseUrl);
      // The library only parses form-encoded answers for the exact https://api.x.com/oauth/ prefix.
      if (original.startsWith(`${X_PREFIX}oauth/`)) params.forceParseMode = 'url';
    },
  };
}

/**
 * X did not answer, or not completely: what happened, said for an admin ("X could not be
 * reached (the connection was reset)"). translateXError puts what was being done in front.
 */
export class XUnreachableError extends Error {}

/** The network error twitter-api-v2 wraps: its `requestError` getter reads the wrong field. */
function requestErrorOf(err: ApiRequestError): unknown {
  return (err as unknown as { _options?: { error?: unknown; requestError?: unknown } })._options?.error ?? err.requestError;
}

function unreachable(err: ApiRequestError, timeoutMs: number | undefined): XUnreachableError {
  const cause = requestErrorOf(err);
  const timedOut = (cause as Error | undefined)?.message === 'Request timeout.';
  const phrase = timedOut
    ? `no answer within ${timeoutMs === undefined ? 'the time allowed' : seconds(timeoutMs)}`
    : (networkFailure(cause) ?? ((cause as Error | undefined)?.message || 'no answer'));
  return new XUnreachableError(`X could not be reached (${phrase})`, { cause: err });
}

const brokeOff = (cause: unknown): XUnreachableError => new XUnreachableError("X's answer broke off before it was complete", { cause });

/**
 * Every X call gets a timeout, and a call that X did not answer, or answered only in part, fails
 * with an XUnreachableError. twitter-api-v2 accepts half a form-encoded answer (the OAuth token
 * endpoints) as if it were whole, so for those the response itself is checked.
 */
export function networkPlugin(timeoutMs: number): ITwitterApiClientPlugin {
  const responses = new WeakMap<object, http.IncomingMessage>();
  return {
    onBeforeRequestConfig({ url, params }) {
      params.timeout ??= timeoutMs;
      // Only there (url is the one asked for, before redirectPlugin): the library's event hook
      // adds listeners to each kept-alive socket it uses.
      if (url.href.startsWith(`${X_PREFIX}oauth/`)) {
        params.requestEventDebugHandler = (event, data) => {
          if (event === 'response' && data?.res) responses.set(params, data.res as http.IncomingMessage);
        };
      }
    },
    onAfterRequest({ params }) {
      const res = responses.get(params);
      if (res && !res.complete) throw brokeOff(undefined);
    },
    onRequestError({ params, error }) {
      throw error instanceof ApiPartialResponseError ? brokeOff(error) : unreachable(error, params.timeout);
    },
  };
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function createTwitterApi(baseUrl: string, tokens: TwitterApiTokens, timeoutMs = X_TIMEOUT_MS): TwitterApi {
  return new TwitterApi(tokens, {
    plugins: [redirectPlugin(baseUrl), networkPlugin(timeoutMs)],
    httpAgent: baseUrl.startsWith('http:') ? agents.http : agents.https,
  });
}

/**
 * Translates twitter-api-v2 errors into ours at the boundary. `what` says what was being done
 * ("Reading the account timeline"); it leads the message.
 */
export function translateXError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof XUnreachableError) return new TransientError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof ApiResponseError) {
    const status = err.code;
    if (status === 429) {
      const resetMs = err.rateLimit?.reset ? err.rateLimit.reset * 1000 - Date.now() : undefined;
      return new TransientError(`${what}: X rate limit reached`, { cause: err, retryAfterMs: Math.max(0, resetMs ?? 60_000) });
    }
    if (status === 401 || status === 403) {
      return new PermanentError(`${what}: X refused the credentials (HTTP ${status})`, { cause: err, authRevoked: true });
    }
    if (status === 402) {
      // Pay-per-use: the developer account's prepaid credits are spent. Asking again now only costs requests.
      return new TransientError(`${what}: X credits exhausted (HTTP 402): add credits in the X developer portal; Microsoft 365 asks for the window again later`, {
        cause: err,
        retryNow: false,
      });
    }
    if (status >= 500) return new TransientError(`${what}: X answered HTTP ${status}`, { cause: err });
    return new PermanentError(`${what}: X answered HTTP ${status}`, { cause: err });
  }
  // A client made without networkPlugin: the same words.
  if (err instanceof ApiRequestError) return translateXError(unreachable(err, undefined), what);
  if (err instanceof ApiPartialResponseError) return translateXError(brokeOff(err), what);
  return new TransientError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** An OAuth answer without all its fields is no answer: X cut it short (or something between did). */
function complete<T extends object>(answer: T, fields: (keyof T)[], what: string): T {
  const missing = fields.filter((f) => typeof answer[f] !== 'string' || answer[f] === '');
  if (missing.length) throw new TransientError(`${what}: X's answer broke off before it was complete (no ${missing.join(', ')})`);
  return answer;
}

/** The X calls of the sign-in flow (OAuth 1.0a three-legged) and of account lookup. */
export class XGateway {
  constructor(
    private readonly baseUrl: string,
    private readonly opts: { timeoutMs?: number } = {},
  ) {}

  private api(tokens: TwitterApiTokens): TwitterApi {
    return createTwitterApi(this.baseUrl, tokens, this.opts.timeoutMs);
  }

  async requestToken(app: AppCredentials, callbackUrl: string): Promise<{ url: string; token: string; tokenSecret: string }> {
    const what = 'Requesting an X sign-in token';
    try {
      const link = await this.api(app).generateAuthLink(callbackUrl, { linkMode: 'authenticate' });
      // X's answer ends with oauth_callback_confirmed=true: without it, the token may be cut short too.
      complete(link, ['oauth_token', 'oauth_token_secret', 'oauth_callback_confirmed'], what);
      return { url: rewriteXUrl(link.url, this.baseUrl), token: link.oauth_token, tokenSecret: link.oauth_token_secret };
    } catch (err) {
      // A refusal here is the admin's configuration, not a fault: say what to check.
      if (err instanceof ApiResponseError && (err.code === 401 || err.code === 403)) {
        throw new NotConfiguredError(
          `X refused the sign-in request (HTTP ${err.code}). Check the Twitter Api Key and Twitter Api Secret Key on the Configure page, ` +
            `and that ${callbackUrl} is listed as a callback URL of the X app.`,
        );
      }
      throw translateXError(err, what);
    }
  }

  async accessToken(
    app: AppCredentials,
    request: { token: string; tokenSecret: string },
    verifier: string,
  ): Promise<{ accessToken: string; accessSecret: string; userId: string; screenName: string }> {
    const what = 'Exchanging the X sign-in token';
    try {
      const client = this.api({ ...app, accessToken: request.token, accessSecret: request.tokenSecret });
      const { accessToken, accessSecret, userId, screenName } = await client.login(verifier);
      return complete({ accessToken, accessSecret, userId, screenName }, ['accessToken', 'accessSecret', 'userId', 'screenName'], what);
    } catch (err) {
      throw translateXError(err, what);
    }
  }

  async me(app: AppCredentials, user: UserTokens): Promise<XAccount> {
    try {
      const { data } = await this.api({ ...app, ...user }).v2.me({ 'user.fields': ['profile_image_url', 'name', 'username'] });
      return { id: data.id, name: data.name, username: data.username, profileImageUrl: data.profile_image_url };
    } catch (err) {
      throw translateXError(err, 'Reading the signed-in X account');
    }
  }
}
