import type { INetworkModule } from '@azure/msal-node';
import express, { type Express } from 'express';
import { EventApiClient } from '../ingest/eventApi';
import { DEFAULT_RETRY } from '../ingest/retry';
import { SettingsChecker } from '../setup/settingsCheck';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { join } from 'node:path';
import { pinoHttp } from 'pino-http';
import { Audit } from '../audit/audit';
import { once, type Clients } from '../composition';
import { openArchive } from '../evidence/open';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { SignInService } from '../setup/signIn';
import type { Store } from '../store/types';
import { XGateway } from '../x/xClient';
import type { AppContext } from './context';
import { Authenticator, deferBodyErrors, remoteJwks, requireAuth } from './auth';
import { clientAddress } from './clientAddress';
import { errorHandler, notFoundHandler } from './errorHandler';
import { auditRoutes } from './routes/audit';
import { archiveRoutes } from './routes/archive';
import { importRoutes } from './routes/imports';
import { configurationRoutes } from './routes/configuration';
import { settingsTestRoutes } from './routes/settingsTest';
import { connectorSetupRoutes } from './routes/connectorSetup';
import { dataRoutes } from './routes/data';
import { healthRoutes } from './routes/health';
import { jobRoutes } from './routes/job';
import { pageRoutes } from './routes/pages';
import { statusRoutes } from './routes/status';
import type { JWTVerifyGetKey } from 'jose';

export interface AppOptions {
  config: Config;
  logger: Logger;
  store: Store;
  clock?: () => Date;
  /** Key set for Bearer tokens; defaults to the remote JWKS at AAD_JWKS_URL. */
  jwks?: JWTVerifyGetKey;
  /** Failed authentications per address per 15 minutes before 429. */
  authFailureLimit?: number;
  /** The service clients (src/composition.ts); the X gateway is built here when not given. */
  clients?: Pick<Clients, 'x'> & Partial<Pick<Clients, 'archive'>>;
  /** msal's HTTP client for "Test settings" when clients are built here (tests against a fake authority). */
  networkClient?: INetworkModule;
  /** Extra readiness checks (the worker's health), for /readyz. */
  statusExtras?: Record<string, unknown>;
}


const ROOT = join(__dirname, '..', '..', '..');
/** Views and public assets live at the repository root; compiled code runs from dist/src. */
function assetRoot(): string {
  return __dirname.includes(`${join('dist', 'src')}`) ? ROOT : join(__dirname, '..', '..');
}

export function createApp(opts: AppOptions): Express {
  const { config, logger, store } = opts;
  const clock = opts.clock ?? (() => new Date());
  const auth = new Authenticator({
    tenantId: config.tenantId,
    apiSecretKey: config.apiSecretKey,
    aadAuthorityHost: config.aadAuthorityHost,
    jwks: opts.jwks ?? remoteJwks(config.aadJwksUrl),
    aadAppId: async () => (await store.getSettings()).AADAppId,
  });
  const audit = new Audit({ store, logger, clock });
  const ctx: AppContext = {
    config,
    store,
    clock,
    signIn: new SignInService(store, opts.clients?.x ?? new XGateway(config.xApiBaseUrl), clock, audit),
    requireAuth: requireAuth(auth),
    audit,
  };

  // "Test settings" and the status page's Settings card ask X and Entra the same way (cached).
  const checker = new SettingsChecker({
    xApiBaseUrl: config.xApiBaseUrl,
    // Its own AAD client: a check must not swap the token cache the worker reports with.
    eventApi: new EventApiClient({ baseUrl: config.eventApiBaseUrl, authorityHost: config.aadAuthorityHost, tenantId: config.tenantId, networkClient: opts.networkClient, retry: DEFAULT_RETRY }),
    clock,
  });

  const app = express();
  app.disable('x-powered-by');
  // App Service terminates TLS in front of the app and appends the client address.
  if (config.production) app.set('trust proxy', 1);
  app.set('views', join(assetRoot(), 'views'));
  app.set('view engine', 'ejs');

  app.use(
    pinoHttp({
      logger,
      // Only method and path: query strings carry one-time OAuth tokens, bodies carry secrets.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
          objectSrc: ["'none'"],
          // Only behind TLS (App Service); on plain-http localhost it would break every asset.
          upgradeInsecureRequests: config.production ? [] : null,
        },
      },
      strictTransportSecurity: config.production,
      // The setup page opens the X sign-in popup and must see it close.
      crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    }),
  );
  app.use('/public', express.static(join(assetRoot(), 'public'), { maxAge: '1h', index: false }));
  app.use(deferBodyErrors(express.json({ limit: '1mb', strict: true })));

  app.use(healthRoutes(ctx));
  app.use(pageRoutes(ctx));

  // Failed sign-ins are counted per address; successful ones are not, so the Import service is never slowed.
  app.use(
    rateLimit({
      windowMs: 15 * 60 * 1000,
      limit: opts.authFailureLimit ?? 20,
      skipSuccessfulRequests: true,
      keyGenerator: clientAddress,
      requestWasSuccessful: (_req, res) => res.statusCode !== 401,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res) => {
        void audit.signIns.refused(clientAddress(req));
        res.status(429).json({
          Error: 'TooManyFailedSignIns',
          Message: 'Too many failed sign-ins from this address. Wait 15 minutes, then sign in with the right tenant id and APISecretKey.',
        });
      },
    }),
  );
  // Every 401 is counted for the audit log too, as the limit counts it: one summary per address and window.
  app.use((req, res, next) => {
    res.on('finish', () => {
      if (res.statusCode === 401) void audit.signIns.failed(clientAddress(req));
    });
    next();
  });
  app.use(configurationRoutes(ctx));
  app.use(connectorSetupRoutes(ctx));
  app.use(jobRoutes(ctx));
  app.use(dataRoutes(ctx));
  app.use(settingsTestRoutes(ctx, checker));
  app.use(statusRoutes(ctx, checker));
  app.use(archiveRoutes(ctx, opts.clients?.archive ?? once(() => openArchive(config))));
  app.use(auditRoutes(ctx));
  app.use(importRoutes(ctx));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
