import type { Logger } from '../../logger';
import type { TaskMessage } from '../../store/types';
import { type EventApiClient, ReportStatus } from '../eventApi';

/** What a run comes to, as reported to the Event API. */
export interface Outcome {
  status: ReportStatus;
  items: number;
  /** The itemMetadata entries, on disk: a 200,000-item day never sits in memory. */
  metadata: { file: string; bytes: number } | null;
  newestId: string | null;
  attachmentsSkipped: number;
  daysOverCap: string[];
  error: string | null;
  /** SHA-256 of the task's archive manifest, when the archive copy is on. */
  manifestSha256?: string;
}

export function emptyOutcome(status: ReportStatus, error: string): Outcome {
  return { status, items: 0, metadata: null, newestId: null, attachmentsSkipped: 0, daysOverCap: [], error };
}

export interface AadApp {
  clientId: string;
  clientSecret: string;
}

/** Stage 4: tells the Event API what the task came to, retrying until it is accepted. */
export function reportOutcome(eventApi: EventApiClient, app: AadApp, task: TaskMessage, outcome: Outcome, log: Logger, signal?: AbortSignal): Promise<void> {
  return eventApi.report(app, task.jobId, task.taskId, outcome.status, outcome.metadata, signal, (err, wait) =>
    log.warn({ err: err.message, waitMs: wait }, 'Event API report failed; retrying'),
  );
}
