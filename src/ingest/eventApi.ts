import { createReadStream } from 'node:fs';
import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';
import { networkFailure, seconds, TransientError } from '../errors';
import { withRetry, type RetryPolicy } from './retry';

/** The Event API's resource; the token is asked for with client credentials of the configured AAD app. */
export const EVENT_API_SCOPE = 'https://microsoft.onmicrosoft.com/4e476d41-2395-42be-89ff-34cb9186a1ac/.default';

/** Defaults for one attempt (RetryPolicy.tryTimeoutMs overrides both): a report streams a large body. */
const TOKEN_TIMEOUT_MS = 30_000;
const REPORT_TIMEOUT_MS = 120_000;

/** msal's words for "AAD did not answer": its network errors keep no more detail than this. */
function aadUnreachable(err: unknown): string | undefined {
  const e = err as { errorCode?: unknown; errorMessage?: unknown };
  if (e?.errorCode !== 'network_error') return networkFailure(err);
  return typeof e.errorMessage === 'string' && /timeout/i.test(e.errorMessage) ? 'no answer in time' : 'the network request failed';
}

export enum ReportStatus {
  Success = 0,
  TemporaryFailure = 1,
  PermanentFailure = 2,
}

export interface ItemMetadata {
  id: string;
  modificationTimestampUtc: string;
  fileName: string;
}
export interface EventApiOptions {
  baseUrl: string;
  authorityHost: string;
  tenantId: string;
  /** For tests: msal's HTTP client (a fake authority over https with its own CA). */
  networkClient?: INetworkModule;
  retry: RetryPolicy;
}

/**
 * Reports a finished task: POST {base}api/data/ondownloadcomplete/?jobId= with an AAD bearer
 * token. One msal client per AAD app, so its token cache is reused across tasks.
 */
export class EventApiClient {
  private msal: { key: string; app: ConfidentialClientApplication } | undefined;

  constructor(private readonly opts: EventApiOptions) {}

  private client(clientId: string, clientSecret: string): ConfidentialClientApplication {
    const key = `${clientId}\u0000${clientSecret}`;
    if (this.msal?.key !== key) {
      const authorityUrl = new URL(`${this.opts.authorityHost}/${this.opts.tenantId}`);
      this.msal = {
        key,
        app: new ConfidentialClientApplication({
          auth: {
            clientId,
            clientSecret,
            authority: authorityUrl.toString(),
            // Naming the host skips msal's instance discovery call.
            knownAuthorities: [authorityUrl.host],
          },
          system: this.opts.networkClient ? { networkClient: this.opts.networkClient } : {},
        }),
      };
    }
    return this.msal.app;
  }

  private async token(clientId: string, clientSecret: string): Promise<string> {
    const timeoutMs = this.opts.retry.tryTimeoutMs ?? TOKEN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    // msal sets no timeout on the token request: a silent AAD would hold the report forever.
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransientError(`AAD could not be reached (no answer within ${seconds(timeoutMs)})`)), timeoutMs);
    });
    try {
      const asked = this.client(clientId, clientSecret).acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] });
      asked.catch(() => undefined); // when the timeout wins, its late failure is nobody's
      const result = await Promise.race([asked, silence]);
      if (!result?.accessToken) throw new Error('no access token in the answer');
      return result.accessToken;
    } catch (err) {
      // msal remembers a 429/5xx and replays it for up to 60 s; a fresh client really asks again.
      this.msal = undefined;
      const phrase = err instanceof TransientError ? undefined : aadUnreachable(err);
      const why = phrase ? `AAD could not be reached (${phrase})` : ((err as Error).message?.split('\n')[0] ?? String(err));
      throw new TransientError(`Getting an AAD token for the Event API failed: ${why}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Asks AAD for a token with these credentials, as the report would, with a new msal client:
   * "Test settings" must see what AAD says of them now, not a cached token. (Its caller has a
   * client of its own, apart from the worker's.)
   */
  async checkCredentials(app: { clientId: string; clientSecret: string }): Promise<void> {
    this.msal = undefined;
    await this.token(app.clientId, app.clientSecret);
  }

  /**
   * Asks for the token ahead of the report, while the task's other work runs: msal caches it, so
   * the report does not wait for AAD. A failure here is ignored; the report asks again and retries.
   */
  prefetchToken(app: { clientId: string; clientSecret: string }): void {
    this.token(app.clientId, app.clientSecret).catch(() => undefined);
  }

  /**
   * Sends the report, retrying until the Event API accepts it (2xx) or the policy runs out.
   * itemMetadata is a file of serialized entries (each after the first led by a comma), streamed
   * into the body: a 200,000-item report is never one string in memory.
   */
  async report(
    app: { clientId: string; clientSecret: string },
    jobId: string,
    taskId: string,
    status: ReportStatus,
    itemMetadata: { file: string; bytes: number } | null,
    signal?: AbortSignal,
    onRetry?: (err: TransientError, waitMs: number) => void,
  ): Promise<void> {
    const url = `${this.opts.baseUrl}api/data/ondownloadcomplete/?jobId=${encodeURIComponent(jobId)}`;
    const head = Buffer.from(`{"taskId":${JSON.stringify(taskId)},"status":${status},"itemMetadata":[`);
    const tail = Buffer.from(']}');
    const length = head.length + (itemMetadata?.bytes ?? 0) + tail.length;
    async function* body(): AsyncGenerator<Buffer> {
      yield head;
      if (itemMetadata) for await (const chunk of createReadStream(itemMetadata.file)) yield chunk as Buffer;
      yield tail;
    }
    await withRetry(
      async () => {
        const token = await this.token(app.clientId, app.clientSecret);
        const timeoutMs = this.opts.retry.tryTimeoutMs ?? REPORT_TIMEOUT_MS;
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(length) },
            body: body() as unknown as BodyInit,
            duplex: 'half',
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]),
          } as RequestInit);
        } catch (err) {
          if (signal?.aborted) throw err;
          const phrase = networkFailure(err, timeoutMs) ?? (err as Error).message;
          throw new TransientError(`The Event API could not be reached (${phrase})`, { cause: err });
        }
        await res.body?.cancel();
        if (!res.ok) throw new TransientError(`The Event API answered HTTP ${res.status}`);
      },
      this.opts.retry,
      signal,
      onRetry,
    );
  }
}
