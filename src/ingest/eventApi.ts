import { createReadStream } from 'node:fs';
import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';
import { TransientError } from '../errors';
import { withRetry, type RetryPolicy } from './retry';

/** The Event API's resource; the token is asked for with client credentials of the configured AAD app. */
export const EVENT_API_SCOPE = 'https://microsoft.onmicrosoft.com/4e476d41-2395-42be-89ff-34cb9186a1ac/.default';

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
    try {
      const result = await this.client(clientId, clientSecret).acquireTokenByClientCredential({ scopes: [EVENT_API_SCOPE] });
      if (!result?.accessToken) throw new Error('no access token in the answer');
      return result.accessToken;
    } catch (err) {
      // msal remembers a 429/5xx and replays it for up to 60 s; a fresh client really asks again.
      this.msal = undefined;
      throw new TransientError(`Getting an AAD token for the Event API failed: ${(err as Error).message?.split('\n')[0] ?? err}`, { cause: err });
    }
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
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(length) },
            body: body() as unknown as BodyInit,
            duplex: 'half',
            signal: AbortSignal.any([AbortSignal.timeout(120_000), ...(signal ? [signal] : [])]),
          } as RequestInit);
        } catch (err) {
          throw new TransientError(`The Event API could not be reached: ${(err as Error).message}`, { cause: err });
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
