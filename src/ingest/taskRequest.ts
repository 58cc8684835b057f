import { z } from 'zod';
import { InvalidInputError } from '../errors';
import { refuseUrl, type HostPattern } from '../hosts';
import { idSchema } from '../http/validation';
import type { TaskMessage } from '../store/types';

/** ISO 8601 date-time with an explicit zone, or a plain date-time taken as UTC (as .NET's DateTime did). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Date.parse rolls 2026-02-30 over into March: check the calendar fields first. */
function validCalendarParts(value: string): boolean {
  const [y, mo, d, h, mi, s] = value.split(/[-T:.Z+]/).map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysInMonth && h! <= 23 && mi! <= 59 && (s === undefined || Number.isNaN(s) || s <= 59);
}

const dateTime = (name: string) =>
  z
    .string({ message: `${name} must be an ISO 8601 date-time string` })
    .regex(ISO_DATE_TIME, `${name} must be an ISO 8601 date-time such as 2024-01-31T00:00:00Z`)
    .transform((value, ctx) => {
      if (!validCalendarParts(value)) {
        ctx.addIssue({ code: 'custom', message: `${name} is not a real date` });
        return z.NEVER;
      }
      const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
      // JavaScript rounds 7-digit fractions badly; milliseconds are all X resolves anyway.
      const normalized = value.replace(/(\.\d{3})\d+/, '$1') + (hasZone ? '' : 'Z');
      const ms = Date.parse(normalized);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: `${name} is not a real date` });
        return z.NEVER;
      }
      return new Date(ms);
    });

const schema = z.object({
  jobid: idSchema('JobId'),
  taskid: idSchema('TaskId'),
  starttime: dateTime('StartTime'),
  endtime: dateTime('EndTime'),
  dirtyentities: z
    .array(z.string().regex(/^\d{1,19}$/, 'DirtyEntities must hold X post ids (digits)'), { message: 'DirtyEntities must be an array of strings or null' })
    .max(1000, 'DirtyEntities may list at most 1000 post ids')
    .nullable()
    .optional(),
  blobsasuri: z.string({ message: 'BlobSasUri must be a string' }).min(1, 'BlobSasUri is required').max(4096),
});

/**
 * Validates a ScheduleTaskRequest (keys in any case, as ASP.NET bound them) into the task to queue.
 */
export function parseScheduleTaskRequest(body: Record<string, unknown>, allowedBlobHosts: HostPattern[], now: Date): TaskMessage {
  const lowered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const k = key.toLowerCase();
    if (k in lowered) throw new InvalidInputError(`ScheduleTaskRequest: key ${key} is given twice`);
    lowered[k] = value;
  }
  const parsed = schema.safeParse(lowered);
  if (!parsed.success) {
    // Report the field by its documented name.
    const names: Record<string, string> = { jobid: 'JobId', taskid: 'TaskId', starttime: 'StartTime', endtime: 'EndTime', dirtyentities: 'DirtyEntities', blobsasuri: 'BlobSasUri' };
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map((p) => (typeof p === 'string' ? (names[p] ?? p) : String(p))).join('.');
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      throw new InvalidInputError(`ScheduleTaskRequest: ${field} is required`);
    }
    throw new InvalidInputError(`ScheduleTaskRequest: ${field ? `${field}: ` : ''}${issue.message}`);
  }
  const r = parsed.data;
  if (r.starttime.getTime() > r.endtime.getTime()) {
    throw new InvalidInputError('ScheduleTaskRequest: StartTime is after EndTime');
  }
  const refused = refuseUrl(r.blobsasuri, allowedBlobHosts, 'BlobSasUri');
  if (refused) throw new InvalidInputError(`ScheduleTaskRequest: ${refused}`);
  if (!new URL(r.blobsasuri).searchParams.get('sig')) {
    throw new InvalidInputError('ScheduleTaskRequest: BlobSasUri carries no SAS signature (sig)');
  }
  return {
    jobId: r.jobid,
    taskId: r.taskid,
    startTime: r.starttime.toISOString(),
    endTime: r.endtime.toISOString(),
    dirtyEntities: r.dirtyentities ?? null,
    blobSasUri: r.blobsasuri,
    enqueuedAt: now.toISOString(),
  };
}
