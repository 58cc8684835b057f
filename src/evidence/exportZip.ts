import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import archiver from 'archiver';
import './zipCentralDirectory';
import type { Item } from '../ingest/item';
import type { ArchiveBackend } from './backend';
import { listManifests, parseManifest } from './manifest';

export interface ExportOptions {
  jobId: string;
  /** First and last UTC day (YYYY-MM-DD), both included. */
  from: string;
  to: string;
  out: string;
  /** Audit entries of the period, one JSON object per line (the audit log's own format). */
  auditLines?: () => AsyncIterable<string>;
  onProgress?: (files: number) => void;
}

export interface ExportResult {
  items: number;
  files: number;
  manifests: number;
  bytes: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Newest version of each of an item's files: `item.v3.json` over `item.v2.json` over `item.json`. */
function newestVersions(paths: string[]): Map<string, string> {
  const rank = (p: string) => Number(/\.v(\d+)\.[a-z]+$/.exec(p)?.[1] ?? 1);
  const base = (p: string) => p.replace(/\.v\d+(\.[a-z]+)$/, '$1');
  const newest = new Map<string, string>();
  for (const p of paths) {
    const b = base(p);
    const current = newest.get(b);
    if (!current || rank(p) > rank(current)) newest.set(b, p);
  }
  return newest;
}

/** What the index lists of an item: a few fields, not the Item (100,000 of them are held until the end). */
type IndexItem = Pick<Item, 'Id' | 'ItemType' | 'SentTimeUtc' | 'MessagePreviewText'> & { Sender: { Name: string } };

function indexHtml(jobId: string, from: string, to: string, rows: { item: IndexItem; eml: string }[]): string {
  const body = rows
    .map(
      ({ item, eml }) =>
        `<tr><td>${esc(item.SentTimeUtc)}</td><td>${esc(item.ItemType)}</td><td>${esc(item.Sender.Name)}</td>` +
        `<td><a href="${esc(eml)}">${esc(item.MessagePreviewText || item.Id)}</a></td><td>${esc(item.Id)}</td></tr>`,
    )
    .join('\n');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>X archive of job ${esc(jobId)}, ${esc(from)} to ${esc(to)}</title></head><body>` +
    `<h1>X archive of job ${esc(jobId)}, ${esc(from)} to ${esc(to)} (UTC)</h1>` +
    `<p>${rows.length} messages. Each opens as an .eml file; items/ holds the Item JSON and the raw X objects, manifests/ the SHA-256 of every file, audit.jsonl the audit log of the period.</p>` +
    `<table><thead><tr><th>Sent (UTC)</th><th>Type</th><th>From</th><th>Message</th><th>Item id</th></tr></thead><tbody>\n${body}\n</tbody></table></body></html>\n`
  );
}

/** How many files may wait in the zip's queue: archiver takes entries as fast as it is given them. */
const QUEUED = 16;

/**
 * Writes a zip for counsel, auditors or a records request, without Microsoft 365: the period's
 * messages (.eml), Item JSONs and raw X objects, the manifests that list them, the audit entries
 * of the period and an index.html. Streamed (archiver): a file is read only when fewer than a few
 * wait to be zipped, so memory does not grow with the size of the period.
 */
export async function exportZip(backend: ArchiveBackend, opts: ExportOptions): Promise<ExportResult> {
  const zip = archiver('zip', { store: true });
  const out = createWriteStream(opts.out);
  const written = once(out, 'close');
  const failed = new Promise<never>((_, reject) => {
    zip.on('error', reject);
    out.on('error', reject);
  });
  failed.catch(() => undefined);
  zip.pipe(out);
  let queued = 0;
  zip.on('entry', () => queued--);
  const add = async (name: string, bytes: Buffer) => {
    queued++;
    zip.append(bytes, { name });
    while (queued > QUEUED) await Promise.race([once(zip, 'entry'), failed]);
  };

  const result: ExportResult = { items: 0, files: 0, manifests: 0, bytes: 0 };
  const files: string[] = [];
  for await (const p of backend.list(`${opts.jobId}/items/`)) {
    const day = p.split('/')[2] ?? '';
    if (day >= opts.from && day <= opts.to) files.push(p);
  }
  files.sort();
  const newest = newestVersions(files);
  const rows: { item: IndexItem; eml: string }[] = [];
  for (const path of files) {
    const bytes = await backend.read(path);
    if (!bytes) throw new Error(`${path} is listed in the archive but cannot be read`);
    if (/\/item(\.v\d+)?\.json$/.test(path) && newest.get(path.replace(/\.v\d+(\.[a-z]+)$/, '$1')) === path) {
      const item = JSON.parse(bytes.toString('utf8')) as Item;
      const folder = path.slice(0, path.lastIndexOf('/') + 1);
      rows.push({
        item: { Id: item.Id, ItemType: item.ItemType, SentTimeUtc: item.SentTimeUtc, MessagePreviewText: item.MessagePreviewText, Sender: { Name: item.Sender.Name } },
        eml: newest.get(`${folder}message.eml`) ?? `${folder}message.eml`,
      });
      result.items++;
    }
    await add(path, bytes);
    result.files++;
    result.bytes += bytes.length;
    if (result.files % 1000 === 0) opts.onProgress?.(result.files);
  }
  const wanted = new Set(files);
  for (const m of await listManifests(backend, opts.jobId)) {
    const bytes = (await backend.read(m))!;
    if (!parseManifest(bytes.toString('utf8')).entries.some((e) => wanted.has(e.path))) continue;
    result.manifests++;
    await add(m, bytes);
  }
  if (opts.auditLines) {
    const lines: string[] = [];
    for await (const line of opts.auditLines()) lines.push(line);
    await add('audit.jsonl', Buffer.from(lines.length ? `${lines.join('\n')}\n` : ''));
  }
  rows.sort((a, b) => a.item.SentTimeUtc.localeCompare(b.item.SentTimeUtc) || a.item.Id.localeCompare(b.item.Id));
  await add('index.html', Buffer.from(indexHtml(opts.jobId, opts.from, opts.to, rows)));
  await Promise.race([zip.finalize(), failed]);
  await Promise.race([written, failed]);
  return result;
}
