/**
 * A private MariaDB server on loopback for Azurite's SQL metadata store (AZURITE_DB), started in
 * a temp data directory and removed afterwards. Azurite's default store (LokiJS) scans every
 * stored blob on each Put (bench/blobSink.ts), so a 200,000-blob day takes hours on it; with
 * its blob metadata in SQL, each Put is an indexed lookup and the day runs end to end.
 *
 * Needs Debian's mariadb-server (`apt-get install -y mariadb-server`): only its binaries are
 * used, never the system's own server, configuration or data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

export interface MariaDb {
  /** mysql://root@127.0.0.1:PORT/DATABASE, as AZURITE_DB takes it. */
  uri(database: string): string;
  /** Runs one SQL statement with the mariadb client; its tab-separated output, or undefined on failure. */
  query(sql: string): string | undefined;
  close(): Promise<void>;
}

const SEARCH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];

function findBinary(names: string[]): string | undefined {
  for (const dir of SEARCH) for (const name of names) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Where the server, the installer and the client are, or why they are not usable. */
export function mariaDbBinaries(): { server: string; installDb: string; client: string } | string {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const client = findBinary(['mariadb', 'mysql']);
  if (!server || !installDb || !client) return 'MariaDB is not installed (apt-get install -y mariadb-server)';
  return { server, installDb, client };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One statement through the mariadb client, as root over TCP; output without headers, tab-separated. */
function runClient(client: string, port: number, sql: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(client, ['--no-defaults', '-uroot', '-h127.0.0.1', `-P${port}`, '-N', '-B', '-e', sql], { encoding: 'utf8', timeout: 10_000 });
}

export async function startMariaDb(databases: string[], startTimeoutMs = 60_000): Promise<MariaDb> {
  const bins = mariaDbBinaries();
  if (typeof bins === 'string') throw new Error(bins);
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-mariadb-'));
  const dataDir = join(dir, 'data');
  // Running as root (as on this machine) the server must be told so; otherwise it runs as the caller.
  const asUser = process.getuid?.() === 0 ? ['--user=root'] : [];
  const install = spawnSync(
    bins.installDb,
    ['--no-defaults', `--datadir=${dataDir}`, ...asUser, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  }
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    ...asUser,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=512M',
  ];
  const child: ChildProcess = spawn(bins.server, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`MariaDB did not start within ${startTimeoutMs} ms:\n${log.slice(-4000)}`)), startTimeoutMs);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (log.includes('ready for connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`MariaDB exited (${code}) while starting:\n${log.slice(-4000)}`));
      });
    });
    // Its log goes nowhere from now on; the pipe must still be read or the server could block on it.
    child.stderr!.resume();
    if (databases.length) {
      const created = runClient(bins.client, port, databases.map((d) => `CREATE DATABASE \`${d}\` CHARACTER SET utf8mb4;`).join(' '));
      if (created.status !== 0) throw new Error(`creating the databases failed: ${created.stderr}`);
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    uri: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    query(sql) {
      const r = runClient(bins.client, port, sql);
      return r.status === 0 ? r.stdout.trim() : undefined;
    },
    async close() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        // Its data is thrown away, so there is nothing to shut down cleanly.
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Blobs Azurite's SQL store holds in a container (Azurite 3.35's table and column names). */
export function mariaDbBlobCount(db: MariaDb, database: string, container: string): number | undefined {
  if (!/^[a-z0-9-]+$/.test(container) || !/^\w+$/.test(database)) return undefined;
  const n = Number(db.query(`SELECT COUNT(*) FROM \`${database}\`.Blobs WHERE containerName = '${container}'`));
  return Number.isFinite(n) ? n : undefined;
}
