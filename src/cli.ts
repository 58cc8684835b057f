import { parseArgs } from 'node:util';
import { ConfigError } from './config';
import { loadConfig } from './credentials';
import type { ArchiveBackend } from './evidence/backend';
import { exportZip } from './evidence/exportZip';
import { openArchive } from './evidence/open';
import { formatReport, verifyArchive } from './evidence/verify';

/**
 * The connector's command line (node dist/src/cli.js <command>), for an admin or an auditor:
 *   verify [--job J]                                   check the archive copy against its manifests
 *   export --job J --from YYYY-MM-DD --to YYYY-MM-DD --out file.zip   hand over a period
 * Exit codes: 0 fine, 1 problems found (verify), 2 wrong use or the archive cannot be read.
 */

class UsageError extends Error {}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

async function archiveOf(): Promise<ArchiveBackend> {
  const { config } = loadConfig(process.env);
  const archive = await openArchive(config);
  if (!archive) throw new UsageError('The archive copy is off (ARCHIVE=off): there is nothing to verify or export.');
  return archive;
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { job: { type: 'string' } }, strict: true });
  const archive = await archiveOf();
  const report = await verifyArchive(archive, { jobId: values.job, onProgress: (n) => process.stderr.write(`checked ${n} files…\n`) });
  for (const line of formatReport(report, archive.where)) process.stdout.write(`${line}\n`);
  return report.ok ? 0 : 1;
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { job: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const { job, from, to, out } = values;
  if (!job || !from || !to || !out) throw new UsageError('export needs --job, --from, --to and --out');
  if (!DAY.test(from) || !DAY.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new UsageError('--from and --to are UTC days, YYYY-MM-DD');
  if (from > to) throw new UsageError('--from must not be after --to');
  const archive = await archiveOf();
  const started = Date.now();
  const result = await exportZip(archive, { jobId: job, from, to, out, onProgress: (n) => process.stderr.write(`exported ${n} files…\n`) });
  process.stdout.write(
    `Exported ${result.items} items (${result.files} files, ${result.manifests} manifests, ${result.bytes} bytes) of job ${job}, ${from} to ${to}, to ${out} in ${Date.now() - started} ms\n`,
  );
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { verify, export: exportCommand };

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`Usage: cli.js verify [--job J] | export --job J --from YYYY-MM-DD --to YYYY-MM-DD --out file.zip`);
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
