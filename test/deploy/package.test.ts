import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openPromise } from 'yauzl';
import { PACKAGE_PATH, PACKAGE_ROOTS, writePackage } from '../../scripts/package';

/**
 * The zip `npm run package` makes for `az webapp deploy --type zip` (README, "Deploy from a
 * clone"): what it holds, what it leaves out, and that App Service's steps work on its content
 * alone. What this cannot check without Azure: Kudu's unpacking and Oryx itself; the repository's
 * node_modules stands in for Oryx's `npm install`.
 */

const root = join(__dirname, '..', '..');

/** Every file entry of a zip, by path, with its content (read with yauzl, not our writer). */
async function readZip(path: string): Promise<Map<string, Buffer>> {
  const zip = await openPromise(path, { lazyEntries: true, strictFileNames: true });
  const files = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    files.set(entry.fileName, Buffer.concat(chunks));
  }
  return files;
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'connector-zip-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run package', () => {
  test('the zip holds the manifests, the TypeScript configuration, src/, views/ and public/ of the clone, byte for byte', async () => {
    const out = join(work, 'repo.zip');
    const listed = await writePackage(root, out);
    const zip = await readZip(out);
    expect([...zip.keys()].sort()).toEqual(listed);
    for (const required of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts', 'src/http/app.ts', 'views/home.ejs', 'views/partials/head.ejs', 'public/style.css']) {
      expect(zip.has(required)).toBe(true);
    }
    for (const [name, content] of zip) expect({ name, same: content.equals(readFileSync(join(root, name))) }).toEqual({ name, same: true });
    for (const name of zip.keys()) {
      expect(name).toMatch(new RegExp(`^(${PACKAGE_ROOTS.map((r) => r.replace(/\./g, '\\.')).join('|')})(/|$)`));
      expect(name).not.toMatch(/(^|\/)(\.env|\.git|data|node_modules|dist|test|test-artifacts|coverage)(\/|$)/);
    }
    // The path README's `az webapp deploy --src-path` names is not committed.
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain(`${PACKAGE_PATH.split('/')[0]}/`);
  });

  test('when a clone also holds secrets, data, dependencies, build output, test results and Git, then none of it is packed', async () => {
    const clone = join(work, 'clone');
    const kept = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts', 'src/http/app.ts', 'views/home.ejs', 'views/partials/head.ejs', 'public/style.css'];
    const leftOut = [
      '.env',
      '.env.local',
      '.git/HEAD',
      '.git/config',
      'data/credentials.json',
      'data/connector.db',
      'node_modules/express/index.js',
      'dist/src/main.js',
      'dist/connector.zip',
      'test-artifacts/jest-results.json',
      'coverage/lcov.info',
      'test/unit/config.test.ts',
      'bench/run.ts',
      'README.md',
      'azuredeploy.json',
      'npm-debug.log',
      'src/.env',
      'src/debug.log',
      'views/.DS_Store',
      'public/.env.production',
    ];
    for (const file of [...kept, ...leftOut]) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      writeFileSync(join(clone, file), file.includes('.env') || file.includes('credentials') ? 'API_SECRET_KEY=do-not-ship' : `${file}\n`);
    }
    const out = join(clone, PACKAGE_PATH);
    await writePackage(clone, out);
    const zip = await readZip(out);
    expect([...zip.keys()].sort()).toEqual([...kept].sort());
    for (const content of zip.values()) expect(content.toString()).not.toContain('do-not-ship');
  });

  test('when a file App Service needs is missing, then packaging fails instead of making a zip that cannot build', async () => {
    const clone = join(work, 'incomplete');
    mkdirSync(join(clone, 'src'), { recursive: true });
    writeFileSync(join(clone, 'package.json'), '{}');
    await expect(writePackage(clone, join(clone, 'out.zip'))).rejects.toThrow(/package-lock\.json/);
  });

  test('unpacked alone, it builds (npm run build) and starts (npm start) the way App Service runs it, and serves the pages', async () => {
    const zipPath = join(work, 'site.zip');
    await writePackage(root, zipPath);
    const site = join(work, 'site');
    for (const [name, content] of await readZip(zipPath)) {
      mkdirSync(dirname(join(site, name)), { recursive: true });
      writeFileSync(join(site, name), content);
    }
    symlinkSync(join(root, 'node_modules'), join(site, 'node_modules'), 'dir'); // Oryx's npm install
    const manifest = JSON.parse(readFileSync(join(site, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // The build script as npm runs it, with the zip's own tsconfig files.
    execFileSync('sh', ['-c', manifest.scripts.build!], { cwd: site, stdio: 'pipe' });
    const start = /^node (\S+)$/.exec(manifest.scripts.start!);
    expect(start).not.toBeNull();

    const child = spawn(process.execPath, [start![1]!], {
      cwd: site,
      env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATA_DIR: join(work, 'site-data'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line within 20 s:\n${output}`)), 20_000);
        const onData = (d: Buffer) => {
          output += d.toString();
          const m = /"port":(\d+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${m[1]}`);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`the app exited (${code}):\n${output}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const home = await fetch(`${url}/`);
      expect(await home.text()).toContain('Connector service is up and running.');
      const css = await fetch(`${url}/public/style.css`);
      expect(css.status).toBe(200);
      expect(await css.text()).toBe(readFileSync(join(root, 'public/style.css'), 'utf8'));
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  }, 60_000);
});
