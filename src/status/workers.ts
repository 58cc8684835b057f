import cron from 'node-cron';
import type { Store, WorkerBeat } from '../store/types';

/**
 * Whether a worker is alive, from the heartbeats in the store: what the status page, GET
 * /api/status and /readyz say, and what an alert is sent on.
 */

/** How far apart INGEST_CRON's runs are: the longest gap between its next few run times (node-cron computes them). */
export function cronPeriodMs(pattern: string, from: Date = new Date()): number {
  const task = cron.createTask(pattern, () => undefined);
  try {
    const runs = task.getNextRuns(12);
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]!.getTime() - runs[i - 1]!.getTime());
    // A pattern with a single run in sight (yearly): a day is as good a period as any.
    return longest > 0 ? longest : Math.max(24 * 3600_000, (runs[0]?.getTime() ?? from.getTime()) - from.getTime());
  } finally {
    task.destroy();
  }
}

/** A worker beats at least once a period, and at most every 30 s: often enough to be seen alive within three periods. */
export function beatIntervalMs(periodMs: number): number {
  return Math.min(30_000, Math.max(1000, Math.floor(periodMs / 2)));
}

/** A worker that has not beaten within three periods is not running (it beats at least twice a period). */
export function aliveWithinMs(periodMs: number): number {
  return 3 * periodMs;
}

export interface WorkerInstance {
  InstanceId: string;
  Host: string;
  Mode: 'all' | 'worker';
  Version: string;
  StartedAt: string;
  LastBeatAt: string;
  Alive: boolean;
  StoppedAt: string | null;
  Task: { JobId: string; TaskId: string } | null;
}

export interface WorkersStatus {
  State: 'Ok' | 'Problem';
  Message: string;
  /** Whole minutes since the last beat of any worker; null while one is alive or none ever beat. */
  NoWorkerForMinutes: number | null;
  /** Instances seen in the last day, newest beat first. */
  Instances: WorkerInstance[];
  QueueDepth: number;
  OldestQueuedAt: string | null;
  OldestQueuedAgeSeconds: number | null;
  PeriodSeconds: number;
}

const SHOWN_FOR_MS = 24 * 3600_000;

export function workersStatus(beats: WorkerBeat[], queue: { depth: number; oldestQueuedAt: string | null }, now: Date, periodMs: number): WorkersStatus {
  const t = now.getTime();
  const within = aliveWithinMs(periodMs);
  const instances = beats
    .filter((b) => t - Date.parse(b.lastBeatAt) <= SHOWN_FOR_MS)
    .map(
      (b): WorkerInstance => ({
        InstanceId: b.instanceId,
        Host: b.host,
        Mode: b.mode,
        Version: b.version,
        StartedAt: b.startedAt,
        LastBeatAt: b.lastBeatAt,
        Alive: b.stoppedAt === null && t - Date.parse(b.lastBeatAt) <= within,
        StoppedAt: b.stoppedAt,
        Task: b.task ? { JobId: b.task.jobId, TaskId: b.task.taskId } : null,
      }),
    );
  const alive = instances.filter((i) => i.Alive);
  const last = beats.reduce<number | null>((m, b) => Math.max(m ?? 0, Date.parse(b.lastBeatAt)), null);
  const queueFacts = {
    QueueDepth: queue.depth,
    OldestQueuedAt: queue.oldestQueuedAt,
    OldestQueuedAgeSeconds: queue.oldestQueuedAt ? Math.max(0, Math.round((t - Date.parse(queue.oldestQueuedAt)) / 1000)) : null,
    PeriodSeconds: Math.round(periodMs / 1000),
  };
  if (alive.length) {
    return { State: 'Ok', Message: `${alive.length} worker${alive.length === 1 ? '' : 's'} running.`, NoWorkerForMinutes: null, Instances: instances, ...queueFacts };
  }
  const start = 'Start one with npm run worker (or npm start for web and worker together); on Azure, check that the worker app is running.';
  if (last === null) {
    return { State: 'Problem', Message: `No worker has run yet: download requests wait in the queue. ${start}`, NoWorkerForMinutes: null, Instances: instances, ...queueFacts };
  }
  const minutes = Math.floor((t - last) / 60_000);
  const howLong = minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : 'less than a minute';
  return {
    State: 'Problem',
    Message: `No worker has run for ${howLong}: download requests wait in the queue. ${start}`,
    NoWorkerForMinutes: minutes,
    Instances: instances,
    ...queueFacts,
  };
}

export async function gatherWorkers(store: Store, now: Date, periodMs: number): Promise<WorkersStatus> {
  const [beats, depth, oldestQueuedAt] = await Promise.all([store.listHeartbeats(), store.queueDepth(), store.oldestQueuedAt()]);
  return workersStatus(beats, { depth, oldestQueuedAt }, now, periodMs);
}
