import { createHash } from 'node:crypto';
import type { ArchiveBackend } from './backend';

export const MANIFEST_FORMAT = 'xconn-archive-manifest/1';

/** The first line of a manifest: what it covers, and the job's previous manifest (the chain). */
export interface ManifestHeader {
  format: typeof MANIFEST_FORMAT;
  jobId: string;
  taskId: string;
  window: { start: string; end: string };
  connectorVersion: string;
  createdAt: string;
  /** SHA-256 of the job's previous manifest file; null for its first. */
  previousManifestSha256: string | null;
}

/** Every other line: one archived file. */
export interface ManifestEntry {
  path: string;
  sha256: string;
  bytes: number;
  itemId: string;
  source: string;
  /** When the record was fetched from X (or read from where the source has it). */
  fetchedAt: string;
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

export const manifestFolder = (jobId: string): string => `${jobId}/manifests/`;

/** `<job>/manifests/<createdAt, compact>-<task>.jsonl`: names sort in the order the manifests were made. */
export function manifestPath(jobId: string, taskId: string, createdAt: string): string {
  return `${manifestFolder(jobId)}${createdAt.replace(/[-:.]/g, '')}-${encodeURIComponent(taskId)}.jsonl`;
}

export function parseManifest(text: string): { header: ManifestHeader; entries: ManifestEntry[] } {
  const lines = text.split('\n').filter(Boolean);
  const header = JSON.parse(lines[0] ?? '{}') as ManifestHeader;
  if (header.format !== MANIFEST_FORMAT) throw new Error('not a connector manifest');
  return { header, entries: lines.slice(1).map((l) => JSON.parse(l) as ManifestEntry) };
}

/** A job's manifests in chain order (oldest first). */
export async function listManifests(backend: ArchiveBackend, jobId: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const p of backend.list(manifestFolder(jobId))) if (p.endsWith('.jsonl')) paths.push(p);
  return paths.sort();
}

/** Jobs that have an archive: the first path segment of every file (not only of manifests: removing them all must not hide a job). */
export async function archivedJobs(backend: ArchiveBackend): Promise<string[]> {
  const jobs = new Set<string>();
  for await (const p of backend.list('')) {
    const job = p.split('/')[0];
    if (job && p.includes('/')) jobs.add(job);
  }
  return [...jobs].sort();
}
