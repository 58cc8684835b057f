import { Router } from 'express';
import { NotFoundError } from '../../errors';
import { parseScheduleTaskRequest } from '../../ingest/taskRequest';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { objectBody } from '../validation';

export function dataRoutes(ctx: AppContext): Router {
  const router = Router();

  router.post('/data/OnDownloadRequest', ctx.requireAuth, async (req, res) => {
    const now = ctx.clock();
    const task = parseScheduleTaskRequest(objectBody(req, 'ScheduleTaskRequest'), ctx.config.allowedBlobHosts, now);
    const job = await ctx.store.getJob(task.jobId);
    if (!job || !job.accessToken) throw new NotFoundError(`Job ${task.jobId} is not known to this connector`);
    await ctx.store.enqueueTask(task);
    const previous = await ctx.store.getTaskRun(task.jobId, task.taskId);
    if (!previous || previous.status !== 'running') {
      await ctx.store.recordTaskRun({
        jobId: task.jobId,
        taskId: task.taskId,
        windowStart: task.startTime,
        windowEnd: task.endTime,
        status: 'queued',
        items: 0,
        attachmentsSkipped: 0,
        daysOverCap: [],
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        error: null,
        reported: false,
        // What an earlier run of the task holds in the ledger stays known to the next run.
        reservedDays: previous?.reservedDays ?? [],
      });
    }
    await ctx.audit.record('task.queued', {
      jobId: task.jobId,
      taskId: task.taskId,
      windowStart: task.startTime,
      windowEnd: task.endTime,
      dirtyEntities: task.dirtyEntities?.length ?? 0,
      ...actorOf(req, res),
    });
    req.log.info({ jobId: task.jobId, taskId: task.taskId, start: task.startTime, end: task.endTime }, 'task queued');
    res.json(true);
  });

  return router;
}
