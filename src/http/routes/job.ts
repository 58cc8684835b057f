import { Router } from 'express';
import { InvalidInputError, NotFoundError } from '../../errors';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { requiredId, requiredQuery } from '../validation';

const REMEDIATION_TYPES = ['relogin', 'unknown'];

export function jobRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/job/IsCreated', ctx.requireAuth, async (req, res) => {
    const job = await ctx.store.getJob(requiredId(req, 'jobId'));
    res.json({ IsJobCreated: Boolean(job && job.saved && job.accessToken), Reason: null });
  });

  router.delete('/job/OnDeleted', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    if (!(await ctx.store.deleteJob(jobId))) throw new NotFoundError(`Job ${jobId} is not known to this connector`);
    await ctx.audit.record('job.deleted', { jobId, ...actorOf(req, res) });
    req.log.info({ jobId }, 'job deleted');
    res.json(true);
  });

  router.get('/job/OnRemediation', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const type = requiredQuery(req, 'remediationType');
    if (!REMEDIATION_TYPES.includes(type.toLowerCase())) {
      throw new InvalidInputError('remediationType must be Relogin or Unknown');
    }
    if (!(await ctx.store.getJob(jobId))) throw new NotFoundError(`Job ${jobId} is not known to this connector`);
    if (type.toLowerCase() === 'relogin') {
      await ctx.store.setNeedsRelogin(jobId, true);
      req.log.info({ jobId }, 'job marked as needing sign-in again');
    }
    await ctx.audit.record('job.remediation', { jobId, remediationType: type.toLowerCase(), ...actorOf(req, res) });
    res.json(true);
  });

  return router;
}
