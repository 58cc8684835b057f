import { Router } from 'express';
import type { AppContext } from '../context';

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ Status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await ctx.store.ping();
      res.json({ Status: 'ready', Store: ctx.store.kind });
    } catch {
      res.status(503).json({ Status: 'unavailable', Store: ctx.store.kind, Message: 'The store does not answer' });
    }
  });
  return router;
}
