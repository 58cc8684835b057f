import { Router } from 'express';
import { InvalidInputError, NotFoundError } from '../../errors';
import type { ArchiveBackend } from '../../evidence/backend';
import { catalogOf } from '../../evidence/open';
import type { AppContext } from '../context';
import { queryParam, requiredId } from '../validation';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const LIMIT = 200;

/** An archive path of the job's items: `<job>/items/<day>/<item>/<file>`, nothing else (no `..`, no manifest, no other job). */
function itemFilePath(jobId: string, raw: string): string {
  const parts = raw.split('/');
  const ok =
    parts.length === 5 &&
    parts[0] === jobId &&
    parts[1] === 'items' &&
    DAY.test(parts[2]!) &&
    /^[A-Za-z0-9%._-]{1,200}$/.test(parts[3]!) &&
    /^(item|raw)(\.v\d+)?\.json$|^message(\.v\d+)?\.eml$/.test(parts[4]!);
  if (!ok) throw new InvalidInputError(`path must be a file of job ${jobId}'s archived items (<job>/items/<day>/<item>/item.json or message.eml)`);
  return raw;
}

/**
 * The status page's Archive view: a job's archived days, its items (of a day, or matching
 * words), and a file of one (its Item JSON to show, its .eml to download).
 */
export function archiveRoutes(ctx: AppContext, archive: () => Promise<ArchiveBackend | undefined>): Router {
  const router = Router();
  const catalog = async () => {
    const backend = await archive();
    if (!backend) throw new NotFoundError('The archive copy is off (ARCHIVE=off): there is nothing to show');
    return catalogOf(backend);
  };

  router.get('/api/archive/days', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const c = await catalog();
    res.json({ SearchNeedsDay: c.searchNeedsDay, Days: (await c.days(jobId)).map((d) => ({ Day: d.day, Items: d.items })) });
  });

  router.get('/api/archive/items', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const day = queryParam(req, 'day') || undefined;
    const q = (queryParam(req, 'q') ?? '').trim().slice(0, 200) || undefined;
    if (day !== undefined && (!DAY.test(day) || Number.isNaN(Date.parse(day)))) throw new InvalidInputError('day must be a UTC day, YYYY-MM-DD');
    const c = await catalog();
    if (!day && c.searchNeedsDay) throw new InvalidInputError('This archive (a blob container) is searched a day at a time: choose a day');
    const rows = await c.find({ jobId, day, q, limit: LIMIT });
    res.json(
      rows.map((r) => ({
        Id: r.itemId,
        ItemType: r.itemType,
        Day: r.day,
        SentTimeUtc: r.sentTimeUtc,
        Sender: r.sender,
        Preview: r.preview,
        ItemPath: r.itemPath,
        EmlPath: r.emlPath,
      })),
    );
  });

  router.get('/api/archive/file', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const path = itemFilePath(jobId, queryParam(req, 'path') ?? '');
    const bytes = await (await catalog()).read(path);
    if (!bytes) throw new NotFoundError(`No archived file ${path}`);
    const eml = path.endsWith('.eml');
    res.set('Content-Type', eml ? 'message/rfc822' : 'application/json; charset=utf-8');
    if (eml) res.set('Content-Disposition', `attachment; filename="${path.split('/')[3]!.replace(/[^A-Za-z0-9._-]/g, '_')}.eml"`);
    res.set('Cache-Control', 'no-store');
    res.send(bytes);
  });

  return router;
}
