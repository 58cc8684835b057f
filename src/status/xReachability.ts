import { createHash } from 'node:crypto';
import { PermanentError, TransientError } from '../errors';
import type { AppCredentials, UserTokens, XAccount } from '../x/xClient';

export type HealthState = 'Ok' | 'Problem' | 'Unknown';

export interface XCheck {
  State: HealthState;
  JobId: string | null;
  /** "@username" of the account the tokens belong to, when X answered. */
  Account: string | null;
  /** When X was last asked (answers are reused for a while). */
  CheckedAt: string | null;
  Message: string;
}

export interface XReachabilityOptions {
  me: (app: AppCredentials, user: UserTokens) => Promise<XAccount>;
  clock: () => Date;
  /** Reuse an answer this long: reloading the status page must not spend the X rate limit. */
  ttlMs?: number;
  /** A status page must answer even when X hangs. */
  timeoutMs?: number;
  xApiBaseUrl: string;
}

interface Cached {
  key: string;
  at: number;
  result: Promise<XCheck>;
}

/**
 * "Can X be reached with the stored tokens?" — GET /2/users/me with the app's consumer keys and
 * one job's tokens. Answers (failures too) are cached per credentials for ttlMs, and concurrent
 * callers share one request. The cache key is a hash: no secret is kept here in clear.
 */
export class XReachability {
  private cached: Cached | undefined;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: XReachabilityOptions) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  check(app: AppCredentials, jobId: string, user: UserTokens): Promise<XCheck> {
    const key = createHash('sha256')
      .update([app.appKey, app.appSecret, jobId, user.accessToken, user.accessSecret].join('\0'))
      .digest('hex');
    const now = this.opts.clock().getTime();
    const c = this.cached;
    // A new key means new settings or a new sign-in: ask X again at once, the admin expects it.
    if (c && c.key === key && now - c.at < this.ttlMs) return c.result;
    const result = this.ask(app, jobId, user);
    this.cached = { key, at: now, result };
    return result;
  }

  private async ask(app: AppCredentials, jobId: string, user: UserTokens): Promise<XCheck> {
    const checkedAt = this.opts.clock().toISOString();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TransientError(`X did not answer within ${Math.round(this.timeoutMs / 1000)} s`)),
        this.timeoutMs,
      );
    });
    try {
      const account = await Promise.race([this.opts.me(app, user), timeout]);
      return {
        State: 'Ok',
        JobId: jobId,
        Account: `@${account.username}`,
        CheckedAt: checkedAt,
        Message: `X answered for @${account.username} with the tokens of job ${jobId}.`,
      };
    } catch (err) {
      return { State: 'Problem', JobId: jobId, Account: null, CheckedAt: checkedAt, Message: this.explain(err, jobId) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** What went wrong and what to do about it. */
  private explain(err: unknown, jobId: string): string {
    const what = err instanceof Error ? err.message : String(err);
    if (err instanceof PermanentError && err.authRevoked) {
      return (
        `${what}. Check the Twitter Api Key and Twitter Api Secret Key on the Configure page; if they are right, ` +
        `the X account's permission was withdrawn: sign in to X again for job ${jobId} from its setup page in the Microsoft 365 compliance center.`
      );
    }
    if (err instanceof TransientError && err.retryAfterMs !== undefined && /rate limit/i.test(what)) {
      return `${what}. The connector will go on once X allows it; check again in ${Math.max(1, Math.ceil(err.retryAfterMs / 60_000))} min.`;
    }
    if (err instanceof TransientError) {
      return `${what}. Check that the connector can reach ${this.opts.xApiBaseUrl}, then refresh this page in a minute.`;
    }
    return `${what}. Refresh this page in a minute; if it persists, check the connector's logs.`;
  }
}
