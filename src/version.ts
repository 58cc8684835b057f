import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The connector's version (package.json), as manifests and the audit log name it. */
export const CONNECTOR_VERSION: string = (() => {
  // Compiled code runs from dist/src; tests run src/ directly.
  for (const up of [['..'], ['..', '..']]) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, ...up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'm365-x-connector' && pkg.version) return pkg.version;
    } catch {
      /* look one folder further up */
    }
  }
  return 'unknown';
})();
