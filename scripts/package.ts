/**
 * `npm run package`: the zip that `az webapp deploy --type zip` sends to App Service when the
 * connector is deployed from a clone (README, "Deploy from a clone"). App Service builds it as it
 * builds the repository (Oryx: npm install, npm run build, then npm start), so the zip holds the
 * sources and what the build and the running app read — and nothing else: no .env, data/,
 * node_modules/, dist/, tests or Git history.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/** The top-level files and folders App Service's build and the running app need. */
export const PACKAGE_ROOTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'views', 'public'];

/** Where `npm run package` writes the zip, relative to the repository (dist/ is not committed). */
export const PACKAGE_PATH = 'dist/connector.zip';

/** Left out wherever they are in those folders: dotfiles (.env, .DS_Store, editor state) and logs. */
const leftOut = (name: string) => name.startsWith('.') || name.endsWith('.log');

/** The files the zip holds, as sorted paths with "/" relative to `root`. */
export function packageFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) if (!leftOut(name)) walk(join(path, name));
    } else if (stat.isFile()) {
      files.push(relative(root, path).split(/[\\/]/).join('/'));
    } else {
      throw new Error(`${path} is neither a file nor a folder`);
    }
  };
  for (const entry of PACKAGE_ROOTS) {
    if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing from ${root}: App Service's build needs it`);
    walk(join(root, entry));
  }
  return files.sort();
}

/** Writes the zip of `root` to `out`; returns its file paths. */
export async function writePackage(root: string, out: string): Promise<string[]> {
  const files = packageFiles(root);
  mkdirSync(dirname(out), { recursive: true });
  const zip = new ZipFile();
  // Each entry keeps its file's modification time: Kudu copies the unpacked files into wwwroot by
  // comparing times, so a fixed time could leave a changed file of the same size behind.
  for (const file of files) zip.addFile(join(root, file), file);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out));
  return files;
}

if (require.main === module) {
  const root = resolve(__dirname, '..', '..');
  const out = resolve(root, process.argv[2] ?? PACKAGE_PATH);
  writePackage(root, out).then(
    (files) => process.stdout.write(`${relative(process.cwd(), out)}: ${files.length} files, ${Math.round(statSync(out).size / 1024)} KiB\n`),
    (err: unknown) => {
      process.stderr.write(`Packaging failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
