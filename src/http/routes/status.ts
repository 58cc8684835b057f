import { Router } from 'express';
import type { SettingsChecker } from '../../setup/settingsCheck';
import { gatherStatus } from '../../status/gather';
import { gatherXCost } from '../../status/xCost';
import { cronPeriodMs } from '../../status/workers';
import type { Settings } from '../../store/types';
import { XReachability } from '../../status/xReachability';
import { XGateway } from '../../x/xClient';
import type { AppContext } from '../context';

/** The status dashboard: a public page shell, and its data behind the same sign-in as Configure. */
/** checker: the Configure page's "Test settings", whose cached answer is the health of the settings. */
export function statusRoutes(ctx: AppContext, checker?: SettingsChecker): Router {
  const router = Router();
  const gateway = new XGateway(ctx.config.xApiBaseUrl);
  // One per app, so its cache spans requests: reloading the page does not spend X's rate limit.
  const x = new XReachability({ me: (app, user) => gateway.me(app, user), clock: ctx.clock, xApiBaseUrl: ctx.config.xApiBaseUrl });

  const ingestPeriodMs = cronPeriodMs(ctx.config.ingestCron);

  router.get('/status', (_req, res) => {
    res.render('status', { title: 'Connector Status', dailyItemCap: ctx.config.dailyItemCap, deletionCheckDays: ctx.config.deletionCheckDays });
  });

  router.get('/api/status', ctx.requireAuth, async (req, res) => {
    const report = await gatherStatus({
      store: ctx.store,
      clock: ctx.clock,
      dailyItemCap: ctx.config.dailyItemCap,
      ingestPeriodMs,
      x,
      ...(checker ? { settingsCheck: (settings: Settings) => checker.check(settings) } : {}),
      connectorUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
    });
    // Task errors and account names are for the signed-in admin only: keep them out of caches.
    res.set('Cache-Control', 'no-store');
    // What X charges (src/status/xCost.ts): its own section of the page.
    res.json({ ...report, XCost: await gatherXCost(ctx.store, ctx.config, ctx.clock()) });
  });

  return router;
}
