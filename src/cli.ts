import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { importArchive, ImportRefused } from './archiveImport/importArchive';
import { ConfigError } from './config';
import { loadConfig } from './credentials';
import type { ArchiveBackend } from './evidence/backend';
import { exportZip } from './evidence/exportZip';
import { openArchive } from './evidence/open';
import { formatReport, verifyArchive } from './evidence/verify';
import { openStore } from './store';
import { AUDIT_PAGE_MAX, type Store } from './store/types';
import { verifyAuditChain } from './audit/verifyChain';

/**
 * The connector's command line (node dist/src/cli.js <command>), for an admin or an auditor:
 *   verify [--job J]                                   check the archive copy against its manifests
 *   export --job J --from YYYY-MM-DD --to YYYY-MM-DD --out file.zip   hand over a period
 *   import-archive --job J archive.zip                the account's own X archive, for history X's API no longer serves
 * Exit codes: 0 fine, 1 problems found (verify), 2 wrong use or the archive cannot be read.
 */

class UsageError extends Error {}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The connector's archive copy and store, configured as the connector is (DATA_DIR, STORAGE_CONNECTION_STRING…). */
async function open(): Promise<{ archive: ArchiveBackend; store: Store }> {
  const { config } = loadConfig(process.env);
  const archive = await openArchive(config);
  if (!archive) throw new UsageError('The archive copy is off (ARCHIVE=off): there is nothing to verify or export.');
  return { archive, store: await openStore(config) };
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { job: { type: 'string' } }, strict: true });
  const { archive, store } = await open();
  try {
    const report = await verifyArchive(archive, { jobId: values.job, onProgress: (n) => process.stderr.write(`checked ${n} files…\n`) });
    const audit = await verifyAuditChain(store);
    const lines = formatReport(report, archive.where);
    const summary = lines.pop()!;
    if (audit.firstBroken) lines.push(`AUDIT     entry ${audit.firstBroken.seq}: ${audit.firstBroken.reason}`);
    for (const line of lines) process.stdout.write(`${line}\n`);
    const ok = report.ok && audit.ok;
    process.stdout.write(`${ok ? summary : summary.replace(/^OK:/, 'PROBLEMS FOUND:')}\n`);
    process.stdout.write(
      `Audit log: ${audit.entries} entries, chain ${audit.ok ? 'intact' : 'BROKEN'}${audit.last ? `; last entry ${audit.last.seq}, SHA-256 ${audit.last.hash}` : ''}\n`,
    );
    // The run itself is on the record, after the check (it is not part of what it checked).
    await store.appendAudit({
      kind: 'verify.run',
      details: {
        ok,
        job: values.job ?? null,
        manifests: report.manifests,
        files: report.files,
        altered: report.altered.length,
        missing: report.missing.length,
        unlisted: report.unlisted.length,
        manifestChainBreaks: report.brokenChain.length,
        auditEntries: audit.entries,
        auditChainIntact: audit.ok,
      },
    });
    return ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

/** The audit entries of [from, to] (UTC days, both whole), one JSON object per line, a page at a time. */
async function* auditLinesOf(store: Store, from: string, to: string): AsyncIterable<string> {
  for (let after = 0; ; ) {
    const page = await store.listAudit({ order: 'oldest', from: `${from}T00:00:00.000Z`, to: `${to}T23:59:59.999Z`, after, limit: AUDIT_PAGE_MAX });
    for (const e of page) yield JSON.stringify(e);
    if (page.length < AUDIT_PAGE_MAX) return;
    after = page.at(-1)!.seq;
  }
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { job: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const { job, from, to, out } = values;
  if (!job || !from || !to || !out) throw new UsageError('export needs --job, --from, --to and --out');
  if (!DAY.test(from) || !DAY.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new UsageError('--from and --to are UTC days, YYYY-MM-DD');
  if (from > to) throw new UsageError('--from must not be after --to');
  const { archive, store } = await open();
  const started = Date.now();
  let result;
  try {
    result = await exportZip(archive, {
      jobId: job,
      from,
      to,
      out,
      auditLines: () => auditLinesOf(store, from, to),
      onProgress: (n) => process.stderr.write(`exported ${n} files…\n`),
    });
  } finally {
    await store.close();
  }
  process.stdout.write(
    `Exported ${result.items} items (${result.files} files, ${result.manifests} manifests, ${result.bytes} bytes) of job ${job}, ${from} to ${to}, to ${out} in ${Date.now() - started} ms\n`,
  );
  return 0;
}

async function importArchiveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { job: { type: 'string' } }, allowPositionals: true, strict: true });
  if (!values.job || positionals.length !== 1) throw new UsageError('import-archive needs --job <jobId> and one archive.zip');
  const zipPath = positionals[0]!;
  if (!(await stat(zipPath).catch(() => undefined))?.isFile()) throw new UsageError(`${zipPath}: no such file`);
  const { config } = loadConfig(process.env);
  const store = await openStore(config);
  try {
    const imp = await importArchive({
      store,
      dataDir: config.dataDir,
      jobId: values.job,
      zipPath,
      onProgress: (p) => process.stderr.write(`read ${p.found.posts} posts, ${p.found.dms} DMs…\n`),
    }).catch((err: unknown) => {
      throw err instanceof ImportRefused ? new UsageError(err.message) : err;
    });
    await store.appendAudit({ kind: 'archive.imported', details: { jobId: imp.jobId, file: imp.fileName, sha256: imp.importId, accountId: imp.accountId, posts: imp.imported.posts, dms: imp.imported.dms } });
    process.stdout.write(
      `Imported ${imp.fileName} (SHA-256 ${imp.importId}) of X account ${imp.accountId} into job ${imp.jobId}: ` +
        `found ${imp.found.posts} posts, ${imp.found.dms} DMs, ${imp.found.media} media files; added ${imp.imported.posts} posts, ${imp.imported.dms} DMs; ` +
        `${imp.imported.media} media files used, in ${imp.durationMs} ms\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { verify, export: exportCommand, 'import-archive': importArchiveCommand };

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`Usage: cli.js verify [--job J] | export --job J --from YYYY-MM-DD --to YYYY-MM-DD --out file.zip | import-archive --job J archive.zip`);
  return run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${known ? (err as Error).message : `Failed: ${(err as Error)?.message ?? String(err)}`}\n`);
    process.exit(2);
  },
);
