import http from 'node:http';
import https from 'node:https';
import { TwitterApi, type ITwitterApiClientPlugin } from 'twitter-api-v2';
import { PermanentError, TransientError } from '../errors';
import { networkPlugin, redirectPlugin, translateXError, X_TIMEOUT_MS, type AppCredentials } from './xClient';

/** One compliance event X reports for a post id (only ids with an event are in the result). */
export interface ComplianceEvent {
  id: string;
  action: string;
  created_at?: string;
  redacted_at?: string;
  reason?: string;
}

/** X's upload_url and download_url point at its cloud storage: https, or loopback http in tests. */
function acceptableStorageUrl(raw: unknown): raw is string {
  if (typeof raw !== 'string') return false;
  try {
    const u = new URL(raw);
    if (u.username || u.password) return false;
    if (u.protocol === 'https:') return true;
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Lets the client call X_API_BASE_URL and exactly the upload and download URLs X returned when a
 * compliance job was created — nothing else, whatever a response names.
 */
export function complianceGuard(baseUrl: string): ITwitterApiClientPlugin {
  const allowed = new Set<string>();
  return {
    onBeforeRequestConfig({ params }) {
      if (params.url.startsWith(`${baseUrl}/`) || allowed.has(params.url)) return;
      throw new PermanentError(`Refused to call ${new URL(params.url).host}: it is not an address X returned for this compliance job`);
    },
    onAfterRequest({ params, response }) {
      if (params.method?.toUpperCase() !== 'POST' || !params.url.endsWith('/2/compliance/jobs')) return;
      const data = (response.data as { data?: Record<string, unknown> } | undefined)?.data;
      for (const key of ['upload_url', 'download_url']) {
        const url = data?.[key];
        if (acceptableStorageUrl(url)) allowed.add(url);
      }
    },
  };
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * X's batch compliance with an app-only Bearer token (from the X API key and secret): which of
 * the given post ids X reports deleted, protected, suspended…
 */
export class ComplianceClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = X_TIMEOUT_MS,
  ) {}

  private appClient(app: AppCredentials): TwitterApi {
    return new TwitterApi(app, {
      plugins: [redirectPlugin(this.baseUrl), networkPlugin(this.timeoutMs), complianceGuard(this.baseUrl)],
      httpAgent: this.baseUrl.startsWith('http:') ? agents.http : agents.https,
    });
  }

  /** Creates a job, uploads the ids, waits for X to finish and returns its events. */
  async check(app: AppCredentials, name: string, ids: string[]): Promise<ComplianceEvent[]> {
    let client: TwitterApi;
    try {
      client = await this.appClient(app).appLogin();
    } catch (err) {
      throw translateXError(err, 'Getting an app-only X token for the deletion check');
    }
    try {
      const job = await client.v2.sendComplianceJob({ type: 'tweets', name, ids });
      return (await client.v2.complianceJobResult(job.data)) as ComplianceEvent[];
    } catch (err) {
      // twitter-api-v2 parses the JSON-lines result itself: an answer cut off shows as a parse error.
      if (err instanceof SyntaxError) {
        throw new TransientError(`Asking X's batch compliance which archived posts were deleted: X's compliance result could not be read whole (${err.message})`, { cause: err });
      }
      throw translateXError(err, "Asking X's batch compliance which archived posts were deleted");
    }
  }
}
