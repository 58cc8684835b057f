import { Router } from 'express';
import { SecretBoxError } from '../../crypto/secretBox';
import { maskedSettings, missingSettings, settingsPatch } from '../../setup/settings';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { objectBody } from '../validation';

export function configurationRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/Configuration', ctx.requireAuth, async (_req, res) => {
    res.json(maskedSettings(await ctx.store.getSettings()));
  });

  router.post('/api/Configuration', ctx.requireAuth, async (req, res) => {
    // Settings sealed with a key that has changed since cannot be read: entering them again is the way out.
    const stored = await ctx.store.getSettings().catch((err: unknown) => {
      if (err instanceof SecretBoxError) return {};
      throw err;
    });
    const patch = settingsPatch(objectBody(req, 'Configuration'), stored);
    await ctx.store.saveSettings(patch);
    // Key names only, never a value: a key re-entered with its stored value did not change.
    const changed = Object.entries(patch).filter(([key, value]) => stored[key as keyof typeof stored] !== value).map(([key]) => key);
    await ctx.audit.record('settings.saved', { changed, ...actorOf(req, res) });
    req.log.info({ changed: Object.keys(patch) }, 'configuration saved');
    res.json(true);
  });

  router.get('/setup/Validate', ctx.requireAuth, async (_req, res) => {
    const missing = missingSettings(await ctx.store.getSettings());
    res.json(
      missing.length
        ? { Status: false, Message: `Missing settings: ${missing.join(', ')}. Enter them on the Configure page.` }
        : { Status: true, Message: null },
    );
  });

  return router;
}
