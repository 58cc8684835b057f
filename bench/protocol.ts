/**
 * Messages between bench/run.ts (parent: fakes, timing) and bench/workerProcess.ts (child: the
 * measured process). Kept in one place so both sides agree on the shapes.
 */

/** What a child measured about itself; maxRssKB is process.resourceUsage().maxRSS (the lifetime peak). */
export interface ChildUsage {
  maxRssKB: number;
  /** RSS once modules were loaded and the store was open: the floor the peak is measured against. */
  readyRssKB: number;
  /** CPU the child spent between "go" and "done" (user + system), ms. */
  cpuMs: number;
  /** Peaks of process.memoryUsage() fields, sampled every 250 ms, MB: heap vs. Buffers vs. the rest. */
  peakHeapTotalMB: number;
  peakHeapUsedMB: number;
  peakExternalMB: number;
  /** RSS every 2 s from "go", MB: a plateau or a slope. */
  rssEvery2sMB: number[];
  /** With BENCH_LIVE_HEAP=1 (bench --live-heap): heapUsed right after a forced full GC, every 5 s, MB — what is really retained. */
  liveHeapEvery5sMB: number[];
}

export type ParentMessage =
  /** uploadConcurrency undefined: the worker's own default, as the real app runs it. */
  | { type: 'drain'; uploadConcurrency?: number }
  | {
      type: 'raw';
      /** SAS URL (r + l) of the container the pipeline wrote: its blobs are uploaded again as they are. */
      sourceSasUrl: string;
      /** SAS URLs of empty containers to upload into, one timed upload each, in order. */
      targetSasUrls: string[];
      concurrency: number;
    }
  | { type: 'exit' };

export type ChildMessage =
  | { type: 'ready'; bootMs: number }
  | ({ type: 'drained'; ran: number; drainMs: number; lastError: string | null } & ChildUsage)
  | ({ type: 'uploaded'; count: number; bytes: number; uploadMs: number[]; uploadCpuMs: number[]; loadMs: number } & ChildUsage)
  | { type: 'failed'; error: string };

/** Which job the child is: set by the parent in BENCH_ROLE. */
export type ChildRole = 'worker' | 'raw';
