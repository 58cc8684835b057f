import type { INetworkModule } from '@azure/msal-node';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import { createClients, type Clients } from '../composition';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { beatIntervalMs, cronPeriodMs } from '../status/workers';
import type { Lease, Store, TaskRun, WorkerBeat } from '../store/types';
import { CONNECTOR_VERSION } from '../version';
import { checkDeletions } from './deletionCheck';
import { CannotReportError, processTask } from './processTask';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';

export interface WorkerOptions {
  config: Config;
  logger: Logger;
  store: Store;
  /** The service clients (src/composition.ts); built here when not given. */
  clients?: Clients;
  /** msal's HTTP client, for tests against a fake authority (when clients are built here). */
  networkClient?: INetworkModule;
  retry?: RetryPolicy;
  uploadConcurrency?: number;
  mediaConcurrency?: number;
  /** How long a lease hides a task; a crashed worker's task reappears after this. */
  visibilityMs?: number;
  /** How long stop() lets a running task finish before giving its lease back. */
  shutdownGraceMs?: number;
  /** How this process was started (main.ts), for its heartbeat. */
  mode?: 'all' | 'worker';
}

export interface Worker {
  /** Leases and runs at most one task; undefined when the queue is empty. */
  runOnce(): Promise<TaskRun | undefined>;
  /** Runs tasks until the queue is empty or the worker stops; returns how many ran. */
  drain(): Promise<number>;
  /** Starts the INGEST_CRON schedule (runs never overlap). */
  start(): void;
  stop(): Promise<void>;
  /** Health for the status page. */
  state(): { running: boolean; lastRunAt: string | null; lastError: string | null };
}

/** One signal per task, shared by its many concurrent downloads and uploads. */
function newAbort(): AbortController {
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  return abort;
}

export function createWorker(opts: WorkerOptions): Worker {
  const { config, store } = opts;
  const log = opts.logger.child({ component: 'worker' });
  const retry = opts.retry ?? DEFAULT_RETRY;
  const visibilityMs = opts.visibilityMs ?? config.taskVisibilityMs;
  const clients = opts.clients ?? createClients(config, { networkClient: opts.networkClient, retry });
  let schedule: ScheduledTask | undefined;
  let deletionSchedule: ScheduledTask | undefined;
  let stopping = false;
  let current: { promise: Promise<unknown>; abort: AbortController } | undefined;
  /** A lease being taken: stop() waits for it, so a task leased as shutdown began goes back at once. */
  let leasing: Promise<Lease | undefined> | undefined;
  let lastRunAt: string | null = null;
  let lastError: string | null = null;

  // The heartbeat the status page lists this process by: written while start()ed, and whenever
  // the task in hand changes; a failed write is logged and tried again at the next beat.
  const periodMs = cronPeriodMs(config.ingestCron);
  const beat: WorkerBeat = {
    instanceId: `${hostname()}:${process.pid}:${Date.now().toString(36)}`,
    host: hostname(),
    mode: opts.mode ?? 'worker',
    version: CONNECTOR_VERSION,
    startedAt: new Date().toISOString(),
    lastBeatAt: new Date().toISOString(),
    task: null,
    stoppedAt: null,
  };
  let beating: NodeJS.Timeout | undefined;
  let beatWrite: Promise<void> = Promise.resolve();
  function writeBeat(): Promise<void> {
    if (!beating) return beatWrite;
    beat.lastBeatAt = new Date().toISOString();
    const snapshot = { ...beat };
    beatWrite = beatWrite.then(() =>
      store.recordHeartbeat(snapshot).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not record the worker heartbeat')),
    );
    return beatWrite;
  }
  function taskInHand(task: { jobId: string; taskId: string } | null): void {
    beat.task = task;
    void writeBeat();
  }

  /** askedAt: when the lease was asked for, the earliest it can have begun. */
  async function runLease(lease: Lease, abort: AbortController, askedAt: number): Promise<TaskRun | undefined> {
    const { jobId, taskId } = lease.task;
    const taskLog = log.child({ jobId, taskId, attempt: lease.dequeueCount });
    // Keep the lease while working; losing it means another worker has the task now. When the
    // store cannot be reached, the lease is only known to last until visibilityMs after the last
    // call that took or kept it was made: once the next beat would come too late, this run stops,
    // as another instance may take the task when it expires.
    const beatMs = Math.max(1000, Math.floor(visibilityMs / 3));
    let keptAt = askedAt;
    const heartbeat = setInterval(() => {
      const beatAt = Date.now();
      store.extendLease(lease, visibilityMs).then(
        (kept) => {
          if (!kept) {
            taskLog.warn('lease lost; stopping this run');
            abort.abort(new Error('lease lost'));
            return;
          }
          keptAt = Math.max(keptAt, beatAt);
        },
        (err: unknown) => {
          const leftMs = keptAt + visibilityMs - Date.now();
          if (leftMs >= beatMs) return taskLog.warn({ err: (err as Error).message, leaseLeftMs: leftMs }, 'could not extend the lease; trying again');
          taskLog.error({ err: (err as Error).message }, 'could not extend the lease before it runs out; stopping this run');
          abort.abort(new Error(`the lease could not be extended (${(err as Error).message}) and may have run out`));
        },
      );
    }, beatMs);
    try {
      const run = await processTask(lease.task, {
        config,
        store,
        logger: taskLog,
        eventApi: clients.eventApi,
        posts: clients.posts,
        archive: clients.archive,
        retry,
        uploadConcurrency: opts.uploadConcurrency ?? 16,
        mediaConcurrency: opts.mediaConcurrency ?? 8,
        signal: abort.signal,
      });
      await store.completeTask(lease);
      lastError = null;
      return run;
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      lastError = message;
      if (abort.signal.aborted) {
        // Shutdown or a lost lease: give the task back (a no-op when the lease is not ours any more).
        await store.releaseTask(lease).catch(() => undefined);
        taskLog.warn({ reason: message }, 'task interrupted; returned to the queue');
      } else {
        // Not reported (no AAD app, Event API down): the lease expires and the task is tried again.
        taskLog.error({ err: message, retryInMs: visibilityMs }, err instanceof CannotReportError ? 'task cannot be reported yet' : 'task failed before it was reported');
        const previous = await store.getTaskRun(jobId, taskId).catch(() => undefined);
        if (previous && !previous.reported) await store.recordTaskRun({ ...previous, error: message }).catch(() => undefined);
      }
      return undefined;
    } finally {
      clearInterval(heartbeat);
      lastRunAt = new Date().toISOString();
    }
  }

  /** Leases one task and runs it: 'empty' when there was none. */
  async function leaseAndRun(): Promise<TaskRun | undefined | 'empty'> {
    if (stopping) return 'empty';
    const askedAt = Date.now();
    leasing = (async () => {
      const taken = await store.leaseTask(visibilityMs);
      if (taken && stopping) {
        await store.releaseTask(taken).catch(() => undefined);
        return undefined;
      }
      return taken;
    })();
    let lease: Lease | undefined;
    try {
      lease = await leasing;
    } finally {
      leasing = undefined;
    }
    if (!lease) return 'empty';
    const abort = newAbort();
    taskInHand({ jobId: lease.task.jobId, taskId: lease.task.taskId });
    const promise = runLease(lease, abort, askedAt);
    current = { promise, abort };
    try {
      return await promise;
    } finally {
      current = undefined;
      taskInHand(null);
    }
  }

  async function runOnce(): Promise<TaskRun | undefined> {
    const result = await leaseAndRun();
    return result === 'empty' ? undefined : result;
  }

  async function drain(): Promise<number> {
    let ran = 0;
    while ((await leaseAndRun()) !== 'empty') ran++;
    return ran;
  }

  // node-cron warns on every skipped overlapping run otherwise.
  const quietCronLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (m: unknown) => log.error({ err: String(m) }, 'scheduler error') };

  /** Tasks a dead process of this host still holds go back to the queue before the first run. */
  async function recoverDeadLeases(): Promise<void> {
    try {
      const released = await store.releaseDeadLeases();
      for (const t of released) log.warn(t, 'task held by a process that is gone; returned to the queue');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not look for leases of dead processes; they run out on their own');
    }
  }

  return {
    runOnce,
    drain,
    start() {
      beating = setInterval(() => void writeBeat(), beatIntervalMs(periodMs));
      beating.unref();
      void writeBeat();
      // Instances gone for a week are forgotten.
      store.pruneHeartbeats(new Date(Date.now() - 7 * 24 * 3600_000).toISOString()).catch(() => undefined);
      const recovered = recoverDeadLeases();
      schedule = cron.schedule(
        config.ingestCron,
        async () => {
          try {
            await recovered;
            await drain();
          } catch (err) {
            lastError = (err as Error).message;
            log.error({ err: lastError }, 'worker run failed');
          }
        },
        {
          name: 'ingest',
          noOverlap: true,
          logger: quietCronLogger,
        },
      );
      deletionSchedule = cron.schedule(
        config.deletionCheckCron,
        async () => {
          try {
            await checkDeletions({ store, compliance: clients.compliance, logger: log, days: config.deletionCheckDays });
          } catch (err) {
            log.error({ err: (err as Error).message }, 'deletion check failed');
          }
        },
        { name: 'deletion-check', noOverlap: true, logger: quietCronLogger },
      );
      log.info({ cron: config.ingestCron, deletionCheckCron: config.deletionCheckCron }, 'worker scheduled');
    },
    async stop() {
      stopping = true;
      for (const s of [schedule, deletionSchedule]) {
        await s?.stop();
        await s?.destroy();
      }
      await leasing?.catch(() => undefined);
      const running = current;
      if (running) {
        const grace = new Promise((resolve) => setTimeout(resolve, opts.shutdownGraceMs ?? 20_000).unref());
        const finished = await Promise.race([running.promise.then(() => true), grace.then(() => false)]);
        if (!finished) {
          running.abort.abort(new Error('worker shutting down'));
          await running.promise;
        }
      }
      if (beating) {
        beat.stoppedAt = new Date().toISOString();
        await writeBeat();
        clearInterval(beating);
        beating = undefined;
      }
    },
    state() {
      return { running: current !== undefined, lastRunAt, lastError };
    },
  };
}
