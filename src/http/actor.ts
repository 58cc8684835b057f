import type { Request, Response } from 'express';
import type { Principal } from './auth';
import { clientAddress } from './clientAddress';

/** Who did it, for an audit entry: how the caller signed in and from which address (never a credential). */
export function actorOf(req: Request, res: Response): { by: { principal: Principal['kind'] | 'none'; address: string } } {
  const principal = res.locals['principal'] as Principal | undefined;
  return { by: { principal: principal?.kind ?? 'none', address: clientAddress(req) } };
}
