import { Router } from 'express';
import type { SettingsChecker } from '../../setup/settingsCheck';
import type { AppContext } from '../context';

/** "Test settings" on the Configure page: the saved settings tried against X and Entra, per setting, no value shown. */
export function settingsTestRoutes(ctx: AppContext, checker: SettingsChecker): Router {
  const router = Router();
  router.post('/api/Configuration/Test', ctx.requireAuth, async (_req, res) => {
    const checks = await checker.check(await ctx.store.getSettings(), true);
    res.set('Cache-Control', 'no-store');
    res.json({ Ok: checks.every((c) => c.Ok === true), Checks: checks });
  });
  return router;
}
