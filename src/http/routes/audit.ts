import { Router, type Response } from 'express';
import { InvalidInputError } from '../../errors';
import type { AuditEntry } from '../../store/types';
import type { AppContext } from '../context';
import { intQuery, isoQuery } from '../validation';

/** Entries read from the store at a time while streaming: the log is never all in memory. */
const STREAM_PAGE = 500;
export const AUDIT_PAGE_DEFAULT = 50;
const AUDIT_PAGE_LARGEST = 200;

/** Resolves when the response can take more, or is gone; leaves no listener behind. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes one line, waiting for the socket to drain when its buffer is full; false once the client is gone. */
async function writeLine(res: Response, entry: AuditEntry): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(`${JSON.stringify(entry)}\n`)) await drained(res);
  return !res.destroyed;
}

/**
 * The audit log, for the signed-in admin: all of it (or from/to) as JSON lines, oldest first,
 * each line an entry exactly as stored so that its chain can be checked elsewhere; and pages of
 * it newest first for the status page.
 */
export function auditRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/audit', ctx.requireAuth, async (req, res) => {
    const from = isoQuery(req, 'from');
    const to = isoQuery(req, 'to', { endOfDay: true });
    if (from && to && from > to) throw new InvalidInputError('Query parameter from must not be later than to');
    // The first page is read before the headers go out, so a store that fails answers with an error, not a cut stream.
    let page = await ctx.store.listAudit({ order: 'oldest', from, to, limit: STREAM_PAGE });
    res.status(200).set({ 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
    for (;;) {
      for (const entry of page) if (!(await writeLine(res, entry))) return;
      if (page.length < STREAM_PAGE) break;
      page = await ctx.store.listAudit({ order: 'oldest', from, to, after: page.at(-1)!.seq, limit: STREAM_PAGE });
    }
    res.end();
  });

  router.get('/api/audit/page', ctx.requireAuth, async (req, res) => {
    const before = intQuery(req, 'before', 1, Number.MAX_SAFE_INTEGER);
    const limit = intQuery(req, 'limit', 1, AUDIT_PAGE_LARGEST) ?? AUDIT_PAGE_DEFAULT;
    // One more than shown tells whether there is an older page.
    const entries = await ctx.store.listAudit({ order: 'newest', before, limit: limit + 1 });
    const shown = entries.slice(0, limit);
    res.set('Cache-Control', 'no-store');
    res.json({ Entries: shown, Older: entries.length > limit ? shown.at(-1)!.seq : null });
  });

  return router;
}
