import { Router } from 'express';
import { cronPeriodMs, gatherWorkers } from '../../status/workers';
import type { AppContext } from '../context';

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  const periodMs = cronPeriodMs(ctx.config.ingestCron);
  router.get('/healthz', (_req, res) => {
    res.json({ Status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await ctx.store.ping();
      // This app is ready whether or not a worker runs (restarting it would not start one), so a
      // missing worker is said, not a 503. Public: counts and times only, never a host name.
      const w = await gatherWorkers(ctx.store, ctx.clock(), periodMs);
      res.json({
        Status: 'ready',
        Store: ctx.store.kind,
        Worker: {
          State: w.State,
          Message: w.Message,
          Alive: w.Instances.filter((i) => i.Alive).length,
          LastBeatAt: w.Instances[0]?.LastBeatAt ?? null,
          NoWorkerForMinutes: w.NoWorkerForMinutes,
        },
        Queue: { Depth: w.QueueDepth, OldestQueuedAt: w.OldestQueuedAt, OldestQueuedAgeSeconds: w.OldestQueuedAgeSeconds },
      });
    } catch {
      res.status(503).json({ Status: 'unavailable', Store: ctx.store.kind, Message: 'The store does not answer' });
    }
  });
  return router;
}
