/**
 * An Event API stand-in for the 200,000-item day only: one task's report of 200,000 items is
 * about 24 MB (≈121 bytes of itemMetadata per item), and test/fakes/eventApi.ts keeps every
 * report whole, which would weigh on this process's CPU and memory during the measurement. This
 * sink checks the same things the fake does (Bearer, jobId, body shape) and keeps only a summary.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkReport {
  jobId: string;
  taskId: string;
  status: number;
  items: number;
  /** Distinct ids among itemMetadata, to catch duplicates. */
  distinctIds: number;
  bytes: number;
  at: number;
}

export interface EventSink {
  baseUrl: string;
  reports: SinkReport[];
  /** Resolves with the first accepted report of taskId. */
  waitFor(taskId: string, timeoutMs: number): Promise<SinkReport>;
  close(): Promise<void>;
}

const REPORT_PATH = /^\/api\/data\/ondownloadcomplete\/?$/i;

export async function startEventSink(): Promise<EventSink> {
  const reports: SinkReport[] = [];
  const waiters: { taskId: string; resolve: (r: SinkReport) => void }[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const answer = (status: number, error?: string): void => {
      const text = error ? JSON.stringify({ error }) : '';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    };
    if (!REPORT_PATH.test(u.pathname) || req.method !== 'POST') return answer(404, 'no route');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const jobId = u.searchParams.get('jobId');
      if (!/^Bearer\s+\S+/.test(req.headers.authorization ?? '')) return answer(401, 'missing bearer token');
      if (!jobId) return answer(400, 'missing jobId');
      const raw = Buffer.concat(chunks);
      let body: { taskId?: unknown; status?: unknown; itemMetadata?: unknown };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        return answer(400, 'body is not JSON');
      }
      const meta = body.itemMetadata;
      const shapeOk =
        typeof body.taskId === 'string' &&
        (body.status === 0 || body.status === 1 || body.status === 2) &&
        Array.isArray(meta) &&
        meta.every((m: { id?: unknown; modificationTimestampUtc?: unknown; fileName?: unknown }) =>
          typeof m?.id === 'string' && typeof m.modificationTimestampUtc === 'string' && typeof m.fileName === 'string');
      if (!shapeOk) return answer(400, 'body is not {taskId, status: 0|1|2, itemMetadata[]}');
      const ids = new Set((meta as { id: string }[]).map((m) => m.id));
      const report: SinkReport = {
        jobId,
        taskId: body.taskId as string,
        status: body.status as number,
        items: (meta as unknown[]).length,
        distinctIds: ids.size,
        bytes: raw.length,
        at: performance.now(),
      };
      reports.push(report);
      answer(200);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.taskId === report.taskId) waiters.splice(i, 1)[0]!.resolve(report);
      }
    });
    req.on('error', () => res.destroy());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    reports,
    waitFor(taskId, timeoutMs) {
      const done = reports.find((r) => r.taskId === taskId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`event sink: no report for ${taskId} after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ taskId, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
