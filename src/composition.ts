import type { INetworkModule } from '@azure/msal-node';
import type { Config } from './config';
import type { ArchiveBackend } from './evidence/backend';
import { openArchive } from './evidence/open';
import { EventApiClient } from './ingest/eventApi';
import type { PostReaderFactory } from './ingest/processTask';
import { DEFAULT_RETRY, type RetryPolicy } from './ingest/retry';
import { PostSource } from './ingest/xPosts';
import { ComplianceClient } from './x/complianceClient';
import { XGateway } from './x/xClient';

/** The first call's promise, kept; a failed one is dropped so that the next call tries again. */
export function once<T>(open: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= open().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** The clients of the services the connector calls, built once and handed down. */
export interface Clients {
  /** X's sign-in flow and account lookup (the web app). */
  x: XGateway;
  /** X's posts, read with a job's tokens (the worker). */
  posts: PostReaderFactory;
  /** AAD tokens and the Event API (the worker); one msal client, so its token cache lasts. */
  eventApi: EventApiClient;
  /** X's batch compliance, for the daily deletion check (the worker). */
  compliance: ComplianceClient;
  /** The organization's archive copy, opened on first use; undefined with ARCHIVE=off. */
  archive: () => Promise<ArchiveBackend | undefined>;
}

export interface ClientOptions {
  /** msal's HTTP client, for tests against a fake authority. */
  networkClient?: INetworkModule;
  retry?: RetryPolicy;
}

/** The composition root: main.ts builds these once for the web app and the worker; tests build their own. */
export function createClients(config: Config, opts: ClientOptions = {}): Clients {
  const retry = opts.retry ?? DEFAULT_RETRY;
  return {
    x: new XGateway(config.xApiBaseUrl),
    posts: (tokens, log, signal, hooks) =>
      new PostSource({
        baseUrl: config.xApiBaseUrl,
        ...tokens,
        retry,
        signal,
        onRateLimitWait: hooks?.onRateLimitWait,
        onRetry: (what, err, waitMs) => log.warn({ what, err: err.message, waitMs }, 'X call failed; retrying'),
      }),
    compliance: new ComplianceClient(config.xApiBaseUrl),
    archive: once(() => openArchive(config)),
    eventApi: new EventApiClient({
      baseUrl: config.eventApiBaseUrl,
      authorityHost: config.aadAuthorityHost,
      tenantId: config.tenantId,
      networkClient: opts.networkClient,
      retry,
    }),
  };
}
