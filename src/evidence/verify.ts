import type { ArchiveBackend } from './backend';
import { archivedJobs, listManifests, manifestFolder, parseManifest, sha256 } from './manifest';

export interface VerifyReport {
  jobs: string[];
  manifests: number;
  files: number;
  /** Listed, present, but its bytes no longer have the listed SHA-256 (or size). */
  altered: string[];
  /** Listed, and gone. */
  missing: string[];
  /** Present under a job's folder, and in none of its manifests. */
  unlisted: string[];
  /** Manifests that do not follow the one before them (one removed, edited or put in between). */
  brokenChain: { manifest: string; reason: string }[];
  ok: boolean;
}

/**
 * Recomputes the SHA-256 of every file the manifests list, follows each job's chain of manifests
 * (each names the previous one's hash) and looks for files no manifest lists.
 */
export async function verifyArchive(backend: ArchiveBackend, opts: { jobId?: string; onProgress?: (files: number) => void } = {}): Promise<VerifyReport> {
  const jobs = opts.jobId ? [opts.jobId] : await archivedJobs(backend);
  const report: VerifyReport = { jobs, manifests: 0, files: 0, altered: [], missing: [], unlisted: [], brokenChain: [], ok: true };
  for (const jobId of jobs) await verifyJob(backend, jobId, report, opts.onProgress);
  report.ok = !report.altered.length && !report.missing.length && !report.unlisted.length && !report.brokenChain.length;
  return report;
}

async function verifyJob(backend: ArchiveBackend, jobId: string, report: VerifyReport, onProgress?: (files: number) => void): Promise<void> {
  const listed = new Set<string>();
  let previous: string | null = null;
  for (const path of await listManifests(backend, jobId)) {
    report.manifests++;
    const bytes = (await backend.read(path))!;
    let parsed;
    try {
      parsed = parseManifest(bytes.toString('utf8'));
    } catch (err) {
      report.brokenChain.push({ manifest: path, reason: `it cannot be read as a manifest (${(err as Error).message})` });
      previous = sha256(bytes);
      continue;
    }
    if (parsed.header.previousManifestSha256 !== previous) {
      report.brokenChain.push({
        manifest: path,
        reason: previous === null
          ? `it names a previous manifest (${parsed.header.previousManifestSha256}) but none comes before it`
          : `it names ${parsed.header.previousManifestSha256 ?? 'no previous manifest'} as the previous one, which is ${previous}: a manifest was removed, altered or added in between`,
      });
    }
    previous = sha256(bytes);
    for (const entry of parsed.entries) {
      if (listed.has(entry.path)) continue; // a later task listing the same unchanged file
      listed.add(entry.path);
      const there = await backend.read(entry.path);
      report.files++;
      if (report.files % 1000 === 0) onProgress?.(report.files);
      if (!there) report.missing.push(entry.path);
      else if (there.length !== entry.bytes || sha256(there) !== entry.sha256) report.altered.push(entry.path);
    }
  }
  const manifests = manifestFolder(jobId);
  for await (const path of backend.list(`${jobId}/`)) {
    if (!path.startsWith(manifests) && !listed.has(path)) report.unlisted.push(path);
  }
  report.unlisted.sort();
}

/** The report as lines for a person: one per problem, then a summary. */
export function formatReport(r: VerifyReport, where: string): string[] {
  const lines = [
    ...r.altered.map((p) => `ALTERED   ${p}`),
    ...r.missing.map((p) => `MISSING   ${p}`),
    ...r.unlisted.map((p) => `UNLISTED  ${p}`),
    ...r.brokenChain.map((b) => `CHAIN     ${b.manifest}: ${b.reason}`),
  ];
  lines.push(
    `${r.ok ? 'OK' : 'PROBLEMS FOUND'}: ${where}: ${r.jobs.length} job(s), ${r.manifests} manifest(s), ${r.files} file(s) checked; ` +
      `${r.altered.length} altered, ${r.missing.length} missing, ${r.unlisted.length} unlisted, ${r.brokenChain.length} chain break(s)`,
  );
  return lines;
}
