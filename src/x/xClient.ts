import http from 'node:http';
import https from 'node:https';
import {
  ApiRequestError,
  ApiResponseError,
  TwitterApi,
  type ITwitterApiClientPlugin,
  type TwitterApiTokens,
} from 'twitter-api-v2';
import { AppError, NotConfiguredError, PermanentError, TransientError } from '../errors';

/** twitter-api-v2 hard-codes this prefix; every X call is redirected to X_API_BASE_URL. */
const X_PREFIX = 'https://api.x.com/';

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

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function createTwitterApi(baseUrl: string, tokens: TwitterApiTokens): TwitterApi {
  return new TwitterApi(tokens, {
    plugins: [redirectPlugin(baseUrl)],
    httpAgent: baseUrl.startsWith('http:') ? agents.http : agents.https,
  });
}

/** Translates twitter-api-v2 errors into ours at the boundary. */
export function translateXError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ApiResponseError) {
    const status = err.code;
    if (status === 429) {
      const resetMs = err.rateLimit?.reset ? err.rateLimit.reset * 1000 - Date.now() : undefined;
      return new TransientError(`${what}: X rate limit reached`, { cause: err, retryAfterMs: Math.max(0, resetMs ?? 60_000) });
    }
    if (status === 401 || status === 403) {
      return new PermanentError(`${what}: X refused the credentials (HTTP ${status})`, { cause: err, authRevoked: true });
    }
    if (status >= 500) return new TransientError(`${what}: X answered HTTP ${status}`, { cause: err });
    return new PermanentError(`${what}: X answered HTTP ${status}`, { cause: err });
  }
  if (err instanceof ApiRequestError) {
    return new TransientError(`${what}: X could not be reached (${err.requestError.message})`, { cause: err });
  }
  return new TransientError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** The X calls of the sign-in flow (OAuth 1.0a three-legged) and of account lookup. */
export class XGateway {
  constructor(private readonly baseUrl: string) {}

  async requestToken(app: AppCredentials, callbackUrl: string): Promise<{ url: string; token: string; tokenSecret: string }> {
    try {
      const link = await createTwitterApi(this.baseUrl, app).generateAuthLink(callbackUrl, { linkMode: 'authenticate' });
      return { url: rewriteXUrl(link.url, this.baseUrl), token: link.oauth_token, tokenSecret: link.oauth_token_secret };
    } catch (err) {
      // A refusal here is the admin's configuration, not a fault: say what to check.
      if (err instanceof ApiResponseError && (err.code === 401 || err.code === 403)) {
        throw new NotConfiguredError(
          `X refused the sign-in request (HTTP ${err.code}). Check the Twitter Api Key and Twitter Api Secret Key on the Configure page, ` +
            `and that ${callbackUrl} is listed as a callback URL of the X app.`,
        );
      }
      throw translateXError(err, 'Requesting an X sign-in token');
    }
  }

  async accessToken(
    app: AppCredentials,
    request: { token: string; tokenSecret: string },
    verifier: string,
  ): Promise<{ accessToken: string; accessSecret: string; userId: string; screenName: string }> {
    try {
      const client = createTwitterApi(this.baseUrl, { ...app, accessToken: request.token, accessSecret: request.tokenSecret });
      const { accessToken, accessSecret, userId, screenName } = await client.login(verifier);
      return { accessToken, accessSecret, userId, screenName };
    } catch (err) {
      throw translateXError(err, 'Exchanging the X sign-in token');
    }
  }

  async me(app: AppCredentials, user: UserTokens): Promise<XAccount> {
    try {
      const { data } = await createTwitterApi(this.baseUrl, { ...app, ...user }).v2.me({ 'user.fields': ['profile_image_url', 'name', 'username'] });
      return { id: data.id, name: data.name, username: data.username, profileImageUrl: data.profile_image_url };
    } catch (err) {
      throw translateXError(err, 'Reading the signed-in X account');
    }
  }
}
