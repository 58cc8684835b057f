import type { ArchiveBackend } from './backend';

/** `item.json`, then `item.v2.json`, `item.v3.json`…: the versions of one file, oldest first. */
export function versionPath(path: string, version: number): string {
  if (version === 1) return path;
  const dot = path.lastIndexOf('.');
  return `${path.slice(0, dot)}.v${version}${path.slice(dot)}`;
}

/**
 * Archives bytes at path without ever overwriting: the same bytes as a version already there are
 * a no-op (that version's path is returned); other bytes become the next version beside it.
 */
export async function writeVersioned(backend: ArchiveBackend, path: string, bytes: Buffer, contentType: string): Promise<{ path: string; created: boolean }> {
  for (let v = 1; ; v++) {
    const at = versionPath(path, v);
    if ((await backend.create(at, bytes, contentType)) === 'created') return { path: at, created: true };
    const there = await backend.read(at);
    if (there?.equals(bytes)) return { path: at, created: false };
  }
}
