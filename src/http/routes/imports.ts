import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { ImportRefused, prepareImport } from '../../archiveImport/importArchive';
import { InvalidInputError } from '../../errors';
import type { ArchiveImport } from '../../store/importTypes';
import { actorOf } from '../actor';
import type { AppContext } from '../context';
import { queryParam, requiredId } from '../validation';

/** X's archives are large (media), but not this large: a runaway upload stops here. */
const MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

const view = (i: ArchiveImport) => ({
  JobId: i.jobId,
  FileName: i.fileName,
  Sha256: i.importId,
  Bytes: i.bytes,
  AccountId: i.accountId,
  AccountUsername: i.accountUsername,
  Status: i.status,
  StartedAt: i.startedAt,
  DurationMs: i.durationMs,
  Found: { Posts: i.found.posts, DirectMessages: i.found.dms, Media: i.found.media },
  Imported: { Posts: i.imported.posts, DirectMessages: i.imported.dms, Media: i.imported.media },
  Error: i.error,
});

/**
 * The status page's "Import X archive": the zip is streamed to DATA_DIR/imports/incoming (never
 * held in memory), checked as `npm run import-archive` does (a zip that is not an X archive, or
 * another account's, is a 400 and leaves nothing behind), answered 202 with the import, then read
 * into the store. The upload becomes the import's own copy (DATA_DIR/imports/<sha256>.zip), or is
 * removed once read when that copy exists already.
 */
export function importRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/imports', ctx.requireAuth, async (_req, res) => {
    res.json((await ctx.store.listImports()).map(view));
  });

  router.post('/api/imports', ctx.requireAuth, async (req, res) => {
    const jobId = requiredId(req, 'jobId');
    const fileName = (queryParam(req, 'fileName') ?? '').trim() || 'archive.zip';
    // eslint-disable-next-line no-control-regex -- a file name has no control characters
    if (!/^[^/\\\u0000-\u001f]{1,200}$/.test(fileName)) throw new InvalidInputError('fileName must be a file name (no folders), at most 200 characters');
    const length = Number(req.headers['content-length'] ?? NaN);
    if (!Number.isFinite(length) || length <= 0) throw new InvalidInputError('Send the archive zip as the request body, with its Content-Length');
    if (length > MAX_UPLOAD_BYTES) throw new InvalidInputError(`The file is larger than ${MAX_UPLOAD_BYTES / 1024 ** 3} GiB`);
    if (!(await ctx.store.getJob(jobId))) throw new InvalidInputError(`There is no job ${jobId}`);
    const dir = join(ctx.config.dataDir, 'imports', 'incoming');
    await mkdir(dir, { recursive: true });
    const upload = join(dir, `${randomUUID()}.zip`);
    let prepared;
    try {
      await pipeline(req, createWriteStream(upload, { flags: 'wx' }));
      prepared = await prepareImport({ store: ctx.store, dataDir: ctx.config.dataDir, jobId, zipPath: upload, fileName, moveZip: true }).catch((err: unknown) => {
        throw err instanceof ImportRefused ? new InvalidInputError(err.message) : err;
      });
    } catch (err) {
      await rm(upload, { force: true });
      throw err;
    }
    // Checked and kept: the records are read after the answer (a large archive takes longer than a
    // front end waits); the page follows it in GET /api/imports. Run again, it completes.
    const actor = actorOf(req, res);
    void prepared
      .run()
      .then((imp) =>
        ctx.audit.record('archive.imported', { jobId, file: imp.fileName, sha256: imp.importId, accountId: imp.accountId, posts: imp.imported.posts, dms: imp.imported.dms, ...actor }),
      )
      .catch((err: unknown) => req.log.error({ err: (err as Error)?.message ?? String(err), jobId, file: fileName }, 'archive import failed'))
      .finally(() => rm(upload, { force: true }));
    res.status(202).json(view(prepared.import));
  });

  return router;
}
