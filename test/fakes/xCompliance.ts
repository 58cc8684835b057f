/**
 * X's batch compliance in the fake X: the app-only token (POST /oauth2/token), compliance jobs
 * (POST /2/compliance/jobs, GET /2/compliance/jobs/:id), and the cloud-storage upload and
 * download URLs the job names — in X's wire format (docs.x.com, "Batch compliance": quick start
 * and API reference; the job object and the result lines are X's published examples' shape).
 *
 * Documented limits kept: app-only Bearer tokens only (user context gets 403), one job per type
 * in progress at a time, upload_url valid 15 minutes, the result lists only ids with an event.
 */
import type * as http from 'node:http';
import { randomBytes } from 'node:crypto';

export interface ComplianceEventSpec {
  action?: string;
  reason?: string;
  created_at?: string;
  redacted_at?: string;
}

export interface FakeComplianceJob {
  id: string;
  type: 'tweets' | 'users';
  name?: string;
  status: 'created' | 'in_progress' | 'complete' | 'failed' | 'expired';
  created_at: string;
  uploadedIds: string[] | null;
  /** Status GETs so far. */
  polls: number;
}

export interface FakeCompliance {
  /** X reports this post (from now on) as deleted, or with another action and reason. */
  reportPost(id: string, event?: ComplianceEventSpec): void;
  /** Every compliance request is answered 403 "client-not-enrolled", as for a plan without the endpoints. */
  refuse(on?: boolean): void;
  /** How many status GETs a job stays in_progress after its upload before it is complete. */
  setPollsUntilComplete(n: number): void;
  /** What 15 minutes do to a job whose ids were never uploaded: it expires, and no longer blocks a new one. */
  expireUnfinishedJobs(): void;
  jobs: FakeComplianceJob[];
  /** Every app-only token issued. */
  bearerTokens: string[];
}

interface Request {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  path: string;
  method: string;
  raw: string;
  url: URL;
}

type Send = (res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

const FORBIDDEN = {
  client_id: '12345678',
  detail:
    'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.',
  registration_url: 'https://developer.twitter.com/en/docs/projects/overview',
  title: 'Client Forbidden',
  required_enrollment: 'Appropriate Level of API Access',
  reason: 'client-not-enrolled',
  type: 'https://api.twitter.com/2/problems/client-forbidden',
};
const UNSUPPORTED_AUTH = {
  title: 'Unsupported Authentication',
  detail: 'Authenticating with OAuth 1.0a User Context is forbidden for this endpoint.  Supported authentication types are [OAuth 2.0 Application-Only].',
  type: 'https://api.twitter.com/2/problems/unsupported-authentication',
  status: 403,
};
const UPLOAD_VALID_MS = 15 * 60 * 1000;
const DOWNLOAD_VALID_MS = 7 * 24 * 3600 * 1000;

export function createFakeCompliance(opts: { consumerKey: string; consumerSecret: string; base: () => string; send: Send }): FakeCompliance & {
  handle(r: Request): boolean;
} {
  const events = new Map<string, ComplianceEventSpec>();
  const jobs: FakeComplianceJob[] = [];
  const bearerTokens: string[] = [];
  const signatures = new Map<string, { jobId: string; kind: 'upload' | 'download'; expires: number }>();
  let refused = false;
  let pollsUntilComplete = 1;
  const { send } = opts;

  const jobJson = (j: FakeComplianceJob) => {
    const sign = (kind: 'upload' | 'download', validMs: number) => {
      const sig = randomBytes(12).toString('hex');
      signatures.set(sig, { jobId: j.id, kind, expires: Date.now() + validMs });
      return `${opts.base()}/compliance-storage/${j.id}/${kind === 'upload' ? 'submission' : 'delivery'}/${j.id}_${kind}.json?X-Goog-Signature=${sig}`;
    };
    return {
      created_at: j.created_at,
      type: j.type,
      id: j.id,
      ...(j.name ? { name: j.name } : {}),
      resumable: false,
      upload_url: sign('upload', UPLOAD_VALID_MS),
      upload_expires_at: new Date(Date.parse(j.created_at) + UPLOAD_VALID_MS).toISOString(),
      download_url: sign('download', DOWNLOAD_VALID_MS),
      download_expires_at: new Date(Date.parse(j.created_at) + DOWNLOAD_VALID_MS).toISOString(),
      status: j.status,
    };
  };

  function bearer(req: http.IncomingMessage): 'app' | 'user' | undefined {
    const h = req.headers.authorization ?? '';
    if (/^OAuth /i.test(h)) return 'user';
    const m = /^Bearer (.+)$/i.exec(h);
    return m && bearerTokens.includes(m[1]!) ? 'app' : undefined;
  }

  function token(r: Request): void {
    const basic = /^Basic (.+)$/i.exec(r.req.headers.authorization ?? '');
    const [key, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent) : [];
    if (key !== opts.consumerKey || secret !== opts.consumerSecret) {
      return send(r.res, 403, { errors: [{ code: 99, message: 'Unable to verify your credentials', label: 'authenticity_token_error' }] });
    }
    if (new URLSearchParams(r.raw).get('grant_type') !== 'client_credentials') {
      return send(r.res, 403, { errors: [{ code: 170, message: 'Missing required parameter: grant_type', label: 'forbidden_missing_parameter' }] });
    }
    const access = `AAAAAAAAAAAAAAAAAAAAA${randomBytes(24).toString('base64url')}`;
    bearerTokens.push(access);
    send(r.res, 200, { token_type: 'bearer', access_token: access });
  }

  function api(r: Request): void {
    const who = bearer(r.req);
    if (who === 'user') return send(r.res, 403, UNSUPPORTED_AUTH);
    if (!who) return send(r.res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    if (refused) return send(r.res, 403, FORBIDDEN);
    if (r.path === '/2/compliance/jobs' && r.method === 'POST') {
      let body: { type?: string; name?: string };
      try {
        body = JSON.parse(r.raw) as typeof body;
      } catch {
        return send(r.res, 400, { title: 'Invalid Request', detail: 'The request body is not valid JSON', type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      if (body.type !== 'tweets' && body.type !== 'users') {
        return send(r.res, 400, { errors: [{ parameters: { type: [String(body.type)] }, message: 'The `type` must be one of [tweets, users]' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      if (jobs.some((j) => j.type === body.type && (j.status === 'created' || j.status === 'in_progress'))) {
        return send(r.res, 400, { title: 'Invalid Request', detail: `A job of type ${body.type} is already in progress: one job per type may run at a time`, type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      const job: FakeComplianceJob = { id: String(1395041599034118145n + BigInt(jobs.length)), type: body.type, ...(body.name ? { name: body.name } : {}), status: 'created', created_at: new Date().toISOString(), uploadedIds: null, polls: 0 };
      jobs.push(job);
      return send(r.res, 200, { data: jobJson(job) });
    }
    const m = /^\/2\/compliance\/jobs\/(\d+)$/.exec(r.path);
    const job = m && jobs.find((j) => j.id === m[1]);
    if (m && r.method === 'GET') {
      if (!job) return send(r.res, 200, { errors: [{ value: m[1], detail: `Could not find job with id: [${m[1]}].`, title: 'Not Found Error', resource_type: 'job', parameter: 'id', resource_id: m[1], type: 'https://api.twitter.com/2/problems/resource-not-found' }] });
      if (job.status === 'in_progress' && ++job.polls >= pollsUntilComplete) job.status = 'complete';
      return send(r.res, 200, { data: jobJson(job) });
    }
    send(r.res, 404, { title: 'Not Found Error', detail: 'Not Found', type: 'about:blank', status: 404 });
  }

  /** The signed cloud-storage URLs: PUT the ids (text, one per line), GET the result (JSON lines). */
  function storage(r: Request): void {
    const sig = signatures.get(r.url.searchParams.get('X-Goog-Signature') ?? '');
    const job = sig && jobs.find((j) => j.id === sig.jobId);
    if (!sig || !job || sig.expires < Date.now()) {
      return send(r.res, 403, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code></Error>', { 'content-type': 'application/xml; charset=UTF-8' });
    }
    if (sig.kind === 'upload' && r.method === 'PUT') {
      if (job.status !== 'created') return send(r.res, 403, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>', { 'content-type': 'application/xml; charset=UTF-8' });
      job.uploadedIds = r.raw.split('\n').map((s) => s.trim()).filter(Boolean);
      job.status = 'in_progress';
      return send(r.res, 200, undefined);
    }
    if (sig.kind === 'download' && r.method === 'GET') {
      if (job.status !== 'complete') return send(r.res, 404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code></Error>', { 'content-type': 'application/xml; charset=UTF-8' });
      const lines = (job.uploadedIds ?? [])
        .filter((id) => events.has(id))
        .map((id) => {
          const e = events.get(id)!;
          return JSON.stringify({ id, action: e.action ?? 'delete', created_at: e.created_at ?? '2026-11-20T07:00:00.000Z', redacted_at: e.redacted_at ?? new Date().toISOString(), reason: e.reason ?? 'deleted' });
        });
      return send(r.res, 200, lines.length ? `${lines.join('\n')}\n` : '', { 'content-type': 'application/octet-stream' });
    }
    send(r.res, 405, undefined);
  }

  return {
    jobs,
    bearerTokens,
    reportPost(id, event = {}) {
      events.set(id, event);
    },
    refuse(on = true) {
      refused = on;
    },
    setPollsUntilComplete(n) {
      pollsUntilComplete = n;
    },
    expireUnfinishedJobs() {
      for (const j of jobs) if (j.status === 'created' || j.status === 'in_progress') j.status = 'expired';
    },
    handle(r) {
      if (r.path === '/oauth2/token' && r.method === 'POST') return token(r), true;
      if (r.path.startsWith('/2/compliance/')) return api(r), true;
      if (r.path.startsWith('/compliance-storage/')) return storage(r), true;
      return false;
    },
  };
}
