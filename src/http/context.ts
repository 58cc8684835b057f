import type { RequestHandler } from 'express';
import type { Audit } from '../audit/audit';
import type { Config } from '../config';
import type { SignInService } from '../setup/signIn';
import type { Store } from '../store/types';

/** What every route is built with (src/http/app.ts makes it once); routes import only this file. */
export interface AppContext {
  config: Config;
  store: Store;
  clock: () => Date;
  signIn: SignInService;
  /** The audit trail (src/audit/audit.ts): one short record() per thing worth proving later. */
  audit: Audit;
  requireAuth: RequestHandler;
}
