import { Router, type Response } from 'express';
import { AppError, InvalidInputError, PermanentError } from '../../errors';
import { SETTING_FIELDS } from '../../setup/settings';
import { SignInExpiredError, SignInUnknownError } from '../../setup/signIn';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { queryParam } from '../validation';

type Outcome = 'success' | 'denied' | 'expired' | 'used' | 'refused' | 'unavailable' | 'invalid';

const MESSAGES: Record<Exclude<Outcome, 'success'>, string> = {
  denied: 'Sign-in to X was cancelled, so nothing was stored. Close this window and click "Login with Twitter" to try again.',
  expired: 'This sign-in took longer than 15 minutes and has expired; nothing was stored. Close this window and click "Login with Twitter" again.',
  used: 'This sign-in link was already used or is unknown; nothing was stored. Close this window and click "Login with Twitter" again.',
  refused:
    'X did not accept this sign-in; nothing was stored. Check the Twitter Api Key and Twitter Api Secret Key on the Configure page, then try again.',
  unavailable: 'X could not be reached to finish the sign-in; nothing was stored. Close this window and try again in a few minutes.',
  invalid: 'This page is opened by the X sign-in and was reached without its parameters. Start from "Login with Twitter" on the job setup page.',
};

function renderOutcome(res: Response, outcome: Outcome, status: number): void {
  res.status(status).render('oauth', {
    title: outcome === 'success' ? 'Closing window...' : 'X sign-in',
    outcome,
    message: outcome === 'success' ? null : MESSAGES[outcome],
  });
}

export function pageRoutes(ctx: AppContext): Router {
  const router = Router();
  const xBase = ctx.config.xApiBaseUrl;

  router.get(['/', '/index.cshtml'], (_req, res) => {
    res.render('home', { title: 'Connector Web Application' });
  });

  router.get('/Configure', (_req, res) => {
    res.render('configure', { title: 'Connector Configuration', fields: SETTING_FIELDS, prices: ctx.config.xPrices });
  });

  router.get('/preview/OnJobCreating', (req, res) => {
    res.render('setup', {
      title: 'Connector Job Setup',
      jobId: queryParam(req, 'jobId') ?? '',
      tenantId: queryParam(req, 'tenantId') ?? '',
    });
  });

  router.get('/Views/TwitterOAuth', async (req, res) => {
    // X's sign-in page sends no opener policy; ours must match it, or the browser cuts the popup's
    // link to the setup page on the way back from X (the page also tells it via BroadcastChannel).
    res.setHeader('Cross-Origin-Opener-Policy', 'unsafe-none');
    const loginUrl = queryParam(req, 'loginUrl');
    if (loginUrl) {
      // Only ever a redirect to X's own sign-in page: never an open redirect.
      if (!(loginUrl.startsWith(`${xBase}/oauth/authenticate?`) || loginUrl.startsWith(`${xBase}/oauth/authorize?`))) {
        renderOutcome(res, 'invalid', 400);
        return;
      }
      res.redirect(302, loginUrl);
      return;
    }
    const denied = queryParam(req, 'denied');
    if (denied) {
      await ctx.signIn.deny(denied);
      req.log.info('X sign-in cancelled by the user');
      renderOutcome(res, 'denied', 200);
      return;
    }
    const token = queryParam(req, 'oauth_token');
    const verifier = queryParam(req, 'oauth_verifier');
    if (!token || !verifier) {
      renderOutcome(res, 'invalid', 400);
      return;
    }
    try {
      const job = await ctx.signIn.complete(token, verifier, undefined, actorOf(req, res));
      req.log.info({ jobId: job.jobId }, 'X sign-in completed');
      renderOutcome(res, 'success', 200);
    } catch (err) {
      if (err instanceof SignInExpiredError) renderOutcome(res, 'expired', 400);
      else if (err instanceof SignInUnknownError) renderOutcome(res, 'used', 400);
      else if (err instanceof PermanentError || err instanceof InvalidInputError) renderOutcome(res, 'refused', 400);
      else if (err instanceof AppError) renderOutcome(res, err.status === 409 ? 'refused' : 'unavailable', err.status === 409 ? 409 : 503);
      else throw err;
    }
  });

  return router;
}
