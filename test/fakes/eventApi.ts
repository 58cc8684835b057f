/**
 * Test helper: a fake Microsoft 365 Event API (the endpoint a connector reports finished
 * download tasks to) on http://127.0.0.1:PORT/.
 *
 *   POST /api/data/ondownloadcomplete/?jobId=…   (path case-insensitive, trailing slash optional)
 *     - no `Authorization: Bearer …`            → 401
 *     - failNext(n, status) armed               → `status` (default 503), not recorded as a report;
 *       failNext(n, 'drop') closes the connection without an answer, failNext(n, 'stall') never answers
 *     - missing jobId / body not a task report  → 400
 *     - otherwise                               → 200, recorded in `reports`
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EventApiReport {
  jobId: string;
  authorization: string;
  body: {
    taskId: string;
    status: number;
    itemMetadata: { id: string; modificationTimestampUtc: string; fileName: string }[];
  };
}

export interface FakeEventApi {
  /** 'http://127.0.0.1:PORT/' (with trailing slash, like EVENT_API_BASE_URL). */
  baseUrl: string;
  /** Accepted reports, in arrival order. */
  reports: EventApiReport[];
  /** Every POST to the report path, accepted or not, with the status the fake answered (0: none). */
  attempts: { jobId: string | null; authorization: string | null; status: number }[];
  /**
   * The next n report POSTs (that carry a Bearer token) get `status` (default 503), or fail as
   * networks do: 'drop' closes the connection once the body is read, 'stall' never answers (the
   * connection stays open until the client gives up).
   */
  failNext(n: number, status?: number | 'drop' | 'stall'): void;
  /** Resolves once at least n reports have been accepted; rejects after timeoutMs (default 10000). */
  waitForReports(n: number, timeoutMs?: number): Promise<EventApiReport[]>;
  close(): Promise<void>;
}

const REPORT_PATH = /^\/api\/data\/ondownloadcomplete\/?$/i;

function isReportBody(b: unknown): b is EventApiReport['body'] {
  if (!b || typeof b !== 'object') return false;
  const o = b as Record<string, unknown>;
  return (
    typeof o.taskId === 'string' &&
    o.taskId.length > 0 &&
    (o.status === 0 || o.status === 1 || o.status === 2) &&
    Array.isArray(o.itemMetadata) &&
    o.itemMetadata.every(
      (m: unknown) =>
        !!m &&
        typeof m === 'object' &&
        typeof (m as Record<string, unknown>).id === 'string' &&
        typeof (m as Record<string, unknown>).modificationTimestampUtc === 'string' &&
        typeof (m as Record<string, unknown>).fileName === 'string',
    )
  );
}

export async function startFakeEventApi(): Promise<FakeEventApi> {
  const reports: EventApiReport[] = [];
  const attempts: FakeEventApi['attempts'] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let failures = 0;
  let failureStatus: number | 'drop' | 'stall' = 503;

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const answer = (status: number, body?: unknown): void => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        'content-length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    };
    if (!REPORT_PATH.test(u.pathname)) return answer(404, { error: `no route for ${req.method} ${u.pathname}` });
    if (req.method !== 'POST') return answer(405, { error: 'method not allowed' });

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 << 20) chunks.push(c);
    });
    req.on('end', () => {
      const jobId = u.searchParams.get('jobId') ?? u.searchParams.get('jobid');
      const authorization = req.headers.authorization ?? null;
      const attempt = { jobId, authorization, status: 0 };
      attempts.push(attempt);
      const reply = (status: number, body?: unknown): void => {
        attempt.status = status;
        answer(status, body);
      };
      if (!authorization || !/^Bearer\s+\S+/.test(authorization)) return reply(401, { error: 'missing bearer token' });
      if (failures > 0) {
        failures--;
        if (failureStatus === 'drop') return void req.socket.destroy();
        if (failureStatus === 'stall') return;
        return reply(failureStatus, { error: 'fake Event API failure (failNext)' });
      }
      if (size > 64 << 20) return reply(413, { error: 'body too large' });
      if (!jobId) return reply(400, { error: 'missing jobId' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'body is not JSON' });
      }
      if (!isReportBody(body)) return reply(400, { error: 'body is not {taskId, status: 0|1|2, itemMetadata[]}' });
      reports.push({ jobId, authorization, body });
      reply(200);
      events.emit('report');
    });
    req.on('error', () => res.destroy());
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

  let closed: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    reports,
    attempts,
    failNext(n, status = 503) {
      failures = n;
      failureStatus = status;
    },
    waitForReports(n, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        if (reports.length >= n) return resolve(reports.slice());
        const onReport = (): void => {
          if (reports.length >= n) {
            clearTimeout(timer);
            events.off('report', onReport);
            resolve(reports.slice());
          }
        };
        const timer = setTimeout(() => {
          events.off('report', onReport);
          reject(new Error(`fake Event API: ${reports.length} of ${n} reports after ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('report', onReport);
      });
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
