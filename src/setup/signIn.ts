import type { Audit } from '../audit/audit';
import { InvalidInputError, NotFoundError, TransientError } from '../errors';
import type { AuditDetails } from '../store/types';
import type { Job, Store } from '../store/types';
import type { XAccount, XGateway } from '../x/xClient';
import { xAppCredentials } from './settings';

/** How long a request token may wait for its callback. */
export const REQUEST_TOKEN_TTL_MS = 15 * 60 * 1000;

export interface ConnectorEntity {
  Id: string;
  Name: string;
  AdditionalInfo: string;
  AlreadyUsed: boolean;
}

export class SignInExpiredError extends InvalidInputError {}
export class SignInUnknownError extends InvalidInputError {}

/**
 * X did not answer (or not yet: a rate limit): the admin on the setup page is told what happened
 * and to try again, and when. `how` is what to do again, e.g. 'Try again'.
 */
async function askingX<T>(call: Promise<T>, how: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (!(err instanceof TransientError)) throw err;
    const when = err.retryAfterMs === undefined ? 'in a moment' : `in about ${Math.max(1, Math.ceil(err.retryAfterMs / 60_000))} min`;
    throw new TransientError(`${err.message}. ${how} ${when}.`, { cause: err, retryAfterMs: err.retryAfterMs });
  }
}

/**
 * The X sign-in (OAuth 1.0a, three-legged) for a job: a request token bound to the job id,
 * single use, expiring; its exchange stores the account's tokens on the job.
 */
export class SignInService {
  constructor(
    private readonly store: Store,
    private readonly x: XGateway,
    private readonly now: () => Date,
    /** Records sign-ins and setups; none when not given (tools, tests of X's failures). */
    private readonly audit?: Pick<Audit, 'record'>,
  ) {}

  async begin(jobId: string, callbackUrl: string): Promise<string> {
    const app = await xAppCredentials(this.store);
    const { url, token, tokenSecret } = await askingX(this.x.requestToken(app, callbackUrl), 'Try again');
    const createdAt = this.now();
    await this.store.putRequestToken({
      token,
      tokenSecret,
      jobId,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + REQUEST_TOKEN_TTL_MS),
    });
    return url;
  }

  /**
   * Exchanges the callback's token + verifier. The request token is consumed first, so a replay
   * finds nothing. `by` says who, for the audit log.
   */
  async complete(oauthToken: string, verifier: string, expectedJobId?: string, by?: AuditDetails): Promise<Job> {
    const request = await this.store.takeRequestToken(oauthToken);
    if (!request) throw new SignInUnknownError('This sign-in was already completed or is unknown');
    if (expectedJobId !== undefined && request.jobId !== expectedJobId) {
      throw new InvalidInputError('This sign-in was started for another job');
    }
    if (request.expiresAt.getTime() <= this.now().getTime()) throw new SignInExpiredError('This sign-in has expired');
    const app = await xAppCredentials(this.store);
    // The request token is spent: a new sign-in is what can be tried again.
    const tokens = await askingX(this.x.accessToken(app, request, verifier), 'Click "Login with Twitter" to try again');
    const before = await this.store.getJob(request.jobId);
    const job = await this.store.saveJobAuthorization(request.jobId, {
      accountId: tokens.userId,
      accountUsername: tokens.screenName,
      accessToken: tokens.accessToken,
      accessSecret: tokens.accessSecret,
    });
    const account = { jobId: job.jobId, accountId: job.accountId, accountUsername: job.accountUsername, ...by };
    if (before?.accountId) await this.audit?.record('job.reauthorized', { ...account, previousAccountId: before.accountId });
    else await this.audit?.record('job.authorized', account);
    return job;
  }

  /** The user cancelled on X: forget the request token, store nothing. */
  async deny(oauthToken: string): Promise<void> {
    await this.store.takeRequestToken(oauthToken);
  }

  private async authorizedJob(jobId: string): Promise<Job & { accessToken: string; accessSecret: string }> {
    const job = await this.store.getJob(jobId);
    if (!job || !job.accessToken || !job.accessSecret) {
      throw new NotFoundError(`Job ${jobId} has no X account signed in: click "Login with Twitter" first`);
    }
    return job as Job & { accessToken: string; accessSecret: string };
  }

  async account(jobId: string): Promise<XAccount> {
    const job = await this.authorizedJob(jobId);
    return askingX(this.x.me(await xAppCredentials(this.store), { accessToken: job.accessToken, accessSecret: job.accessSecret }), 'Try again');
  }

  async entities(jobId: string): Promise<ConnectorEntity[]> {
    const account = await this.account(jobId);
    const others = await this.store.jobsForAccount(account.id, jobId);
    return [{ Id: account.id, Name: account.name, AdditionalInfo: `@${account.username}`, AlreadyUsed: others.length > 0 }];
  }

  async savePage(jobId: string, tenantId: string | null, page: { Id: string; Name: string }, by?: AuditDetails): Promise<Job> {
    const job = await this.authorizedJob(jobId);
    if (job.accountId !== page.Id) {
      throw new InvalidInputError(`Id ${page.Id} is not the X account signed in for job ${jobId}`);
    }
    const saved = await this.store.saveJobAccount(jobId, { tenantId, accountId: page.Id, accountName: page.Name });
    await this.audit?.record('job.setup', { jobId, tenantId, accountId: page.Id, accountName: page.Name, ...by });
    return saved;
  }
}
