/**
 * The measured process of the benchmark, forked by bench/run.ts.
 *
 * BENCH_ROLE=worker: configured from the environment exactly as `node dist/src/main.js worker`
 * is (loadConfig(process.env), openStore, createWorker without a custom msal networkClient — the
 * fake AAD is trusted through NODE_EXTRA_CA_CERTS), it drains the queue once on request and
 * reports its timings and peak RSS. Running it apart from the fakes and Azurite is what makes
 * its maxRSS the worker's own.
 *
 * BENCH_ROLE=raw: the baseline. Reads back the blobs the pipeline wrote (untimed), then uploads
 * the same names and bodies with @azure/storage-blob at a fixed concurrency (timed), in a fresh
 * process too so that both figures pay the same cold start.
 */
import { AnonymousCredential, ContainerClient, StorageRetryPolicyType } from '@azure/storage-blob';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/credentials';
import { createWorker } from '../src/ingest/worker';
import { createLogger, type Logger } from '../src/logger';
import { openStore, type Store } from '../src/store';
import type { ChildMessage, ChildRole, ChildUsage, ParentMessage } from './protocol';

const role = (process.env.BENCH_ROLE ?? 'worker') as ChildRole;

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

let readyRssKB = 0;
const MB = 1024 * 1024;
const peaks = { heapTotal: 0, heapUsed: 0, external: 0 };
let rssEvery2s: number[] = [];
let liveHeapEvery5s: number[] = [];
let samples = 0;
// Diagnosis only (bench --live-heap): a full GC every 5 s shows retained memory apart from garbage not yet collected.
const forceGc = process.env.BENCH_LIVE_HEAP === '1' ? (globalThis as { gc?: () => void }).gc : undefined;
/** Sampling is cheap (memoryUsage is a few µs) and tells live heap from garbage from Buffers. */
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.external = Math.max(peaks.external, m.external);
  if (samples % 8 === 0) rssEvery2s.push(Math.round(m.rss / MB));
  if (forceGc && samples % 20 === 19) {
    forceGc();
    liveHeapEvery5s.push(Math.round(process.memoryUsage().heapUsed / MB));
  }
  samples++;
}, 250);
sampler.unref();

function startSampling(): void {
  Object.assign(peaks, { heapTotal: 0, heapUsed: 0, external: 0 });
  rssEvery2s = [];
  liveHeapEvery5s = [];
  samples = 0;
}

function usage(cpuStart: NodeJS.CpuUsage): ChildUsage {
  return {
    maxRssKB: process.resourceUsage().maxRSS,
    readyRssKB,
    cpuMs: cpuMsSince(cpuStart),
    peakHeapTotalMB: Math.round(peaks.heapTotal / MB),
    peakHeapUsedMB: Math.round(peaks.heapUsed / MB),
    peakExternalMB: Math.round(peaks.external / MB),
    rssEvery2sMB: rssEvery2s,
    liveHeapEvery5sMB: liveHeapEvery5s,
  };
}

/** Runs fn over items with at most `concurrency` in flight, no batching: the ideal steady state. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
}

async function rawUpload(msg: Extract<ParentMessage, { type: 'raw' }>): Promise<void> {
  const loadStart = performance.now();
  const source = new ContainerClient(msg.sourceSasUrl);
  const names: string[] = [];
  for await (const b of source.listBlobsFlat()) names.push(b.name);
  const blobs: { name: string; body: Buffer }[] = [];
  await pool(names, 16, async (name) => {
    blobs.push({ name, body: await source.getBlobClient(name).downloadToBuffer() });
  });
  const loadMs = performance.now() - loadStart;
  const bytes = blobs.reduce((n, b) => n + b.body.length, 0);
  startSampling();
  const cpuStart = process.cpuUsage();
  const uploadMs: number[] = [];
  const uploadCpuMs: number[] = [];
  for (const targetSasUrl of msg.targetSasUrls) {
    // Same client options as src/ingest/uploader.ts, so only the orchestration around it differs.
    const target = new ContainerClient(targetSasUrl, new AnonymousCredential(), {
      retryOptions: { maxTries: 4, retryPolicyType: StorageRetryPolicyType.EXPONENTIAL, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await pool(blobs, msg.concurrency, async (b) => {
      await target.getBlockBlobClient(b.name).upload(b.body, b.body.length, {
        blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
      });
    });
    uploadMs.push(performance.now() - t0);
    uploadCpuMs.push(cpuMsSince(cpu0));
  }
  send({ type: 'uploaded', count: blobs.length, bytes, uploadMs, uploadCpuMs, loadMs, ...usage(cpuStart) });
}

async function main(): Promise<void> {
  let store: Store | undefined;
  let config: ReturnType<typeof loadConfig>['config'] | undefined;
  let logger: Logger | undefined;
  if (role === 'worker') {
    ({ config } = loadConfig(process.env));
    logger = createLogger(config.logLevel);
    store = await openStore(config);
  }
  readyRssKB = Math.round(process.memoryUsage().rss / 1024);

  const exit = async (code: number): Promise<never> => {
    await store?.close().catch(() => undefined);
    logger?.flush();
    // process.exit, not a natural end: keep-alive agents would hold the loop open, and
    // --cpu-prof writes its profile on exit either way.
    process.exit(code);
  };
  // The parent went away (crash, Ctrl-C): never outlive it.
  process.on('disconnect', () => void exit(0));

  process.on('message', (msg: ParentMessage) => {
    const handle = async (): Promise<void> => {
      if (msg.type === 'exit') return void (await exit(0));
      if (msg.type === 'raw') return rawUpload(msg);
      if (!store || !config || !logger) throw new Error('this child was not started as a worker');
      const worker = createWorker({ config, logger, store, uploadConcurrency: msg.uploadConcurrency });
      startSampling();
      const cpuStart = process.cpuUsage();
      const t0 = performance.now();
      const ran = await worker.drain();
      const drainMs = performance.now() - t0;
      send({ type: 'drained', ran, drainMs, lastError: worker.state().lastError, ...usage(cpuStart) });
    };
    handle().catch((err: unknown) => send({ type: 'failed', error: (err as Error)?.stack ?? String(err) }));
  });
  // performance.now() counts from process start: this is the whole cold start.
  send({ type: 'ready', bootMs: performance.now() });
}

main().catch((err: unknown) => {
  send({ type: 'failed', error: (err as Error)?.stack ?? String(err) });
  process.exit(1);
});
