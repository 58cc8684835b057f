import { Router, type Request } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../../errors';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { firstIssue, objectBody, queryParam, requiredId, requiredQuery } from '../validation';

export const CALLBACK_PATH = '/Views/TwitterOAuth';

/**
 * The X callback must come back to this connector's own /Views/TwitterOAuth, or the one-time
 * tokens would be sent elsewhere. Returns the canonical URL to register with X.
 */
export function checkedCallbackUrl(req: Request, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('redirectUrl must be an absolute URL ending in /Views/TwitterOAuth');
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname.toLowerCase() !== CALLBACK_PATH.toLowerCase()) {
    throw new InvalidInputError(`redirectUrl must be <connector URL>${CALLBACK_PATH}`);
  }
  if (url.host.toLowerCase() !== (req.get('host') ?? '').toLowerCase()) {
    throw new InvalidInputError(`redirectUrl must point at this connector (${req.get('host')}${CALLBACK_PATH})`);
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}

const storeTokenSchema = z.object({
  temporaryAccessCode: z.string({ message: 'temporaryAccessCode is required' }).min(1).max(1024),
  redirectUrl: z.string({ message: 'redirectUrl is required' }).min(1).max(2048),
  jobId: z.string({ message: 'jobId is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'jobId is not a valid job id'),
});

const pageSchema = z.object({
  Id: z.string({ message: 'Id must be a string' }).regex(/^\d{1,19}$/, 'Id must be an X account id'),
  Name: z.string({ message: 'Name must be a string' }).min(1, 'Name is required').max(200),
});

/**
 * temporaryAccessCode for StoreToken: the callback's query string (`oauth_token=…&oauth_verifier=…`),
 * or those two joined with ':' — clients that finish OAuth themselves hand us both.
 */
function parseAccessCode(code: string): { token: string; verifier: string } {
  const params = new URLSearchParams(code.startsWith('?') ? code.slice(1) : code);
  const token = params.get('oauth_token');
  const verifier = params.get('oauth_verifier');
  if (token && verifier) return { token, verifier };
  const [t, v, ...rest] = code.split(':');
  if (t && v && rest.length === 0) return { token: t, verifier: v };
  throw new InvalidInputError('temporaryAccessCode must be "oauth_token=…&oauth_verifier=…" from the X callback');
}

export function connectorSetupRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/ConnectorSetup/OAuthUrl', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const callback = checkedCallbackUrl(req, requiredQuery(req, 'redirectUrl'));
    const url = await ctx.signIn.begin(jobId, callback);
    req.log.info({ jobId, jobType: queryParam(req, 'jobType') }, 'X sign-in started');
    res.json(url);
  });

  router.post('/api/ConnectorSetup/StoreToken', ctx.requireAuth, async (req, res) => {
    const parsed = storeTokenSchema.safeParse(objectBody(req, 'StoreToken'));
    if (!parsed.success) throw firstIssue(parsed.error, 'StoreToken');
    checkedCallbackUrl(req, parsed.data.redirectUrl);
    const { token, verifier } = parseAccessCode(parsed.data.temporaryAccessCode);
    await ctx.signIn.complete(token, verifier, parsed.data.jobId, actorOf(req, res));
    res.json(true);
  });

  router.get('/api/ConnectorSetup/GetEntities', ctx.requireAuth, async (req, res) => {
    res.json(await ctx.signIn.entities(requiredId(req, 'jobId')));
  });

  router.post('/api/ConnectorSetup/SavePage', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const tenantId = queryParam(req, 'tenantId') || null;
    if (tenantId !== null && tenantId.toLowerCase() !== ctx.config.tenantId.toLowerCase()) {
      throw new InvalidInputError("tenantId does not match this connector's tenant");
    }
    const parsed = pageSchema.safeParse(objectBody(req, 'SavePage'));
    if (!parsed.success) throw firstIssue(parsed.error, 'SavePage');
    await ctx.signIn.savePage(jobId, tenantId, parsed.data, actorOf(req, res));
    req.log.info({ jobId }, 'job mapped to its X account');
    res.json(true);
  });

  router.get('/api/ConnectorSetup/DeleteToken', ctx.requireAuth, async (req, res) => {
    await ctx.store.deleteRequestTokens(requiredId(req, 'jobId'));
    res.json(true);
  });

  return router;
}
