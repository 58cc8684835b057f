/**
 * Test helper: a private, in-memory Azurite (Blob + Queue + Table) per test suite.
 *
 * Azurite runs as a child process on 127.0.0.1 with OS-chosen ports (read back from its
 * stdout), so several Jest workers can each run their own instance. The child is started
 * through a tiny wrapper that exits when the IPC channel to this process closes, so it
 * cannot outlive a crashed or killed Jest worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';

export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1' as const;
/** Azurite's well-known development account key (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  blobUrl: string; // http://127.0.0.1:PORT/devstoreaccount1
  queueUrl: string;
  tableUrl: string;
  connectionString: string;
  accountName: 'devstoreaccount1';
  accountKey: string;
  /** pid of the Azurite child process (for "nothing left behind" assertions). */
  pid: number;
  close(): Promise<void>;
}

const AZURITE_MAIN = require.resolve('azurite/dist/src/azurite.js');

/**
 * Runs azurite.js as if it were the main script (argv[1] is its path), and exits — removing
 * its temp cwd — when the IPC channel closes, i.e. when the parent process goes away.
 */
const WRAPPER = [
  "process.on('disconnect', () => {",
  "  const dir = process.cwd();",
  "  try { process.chdir(require('os').tmpdir()); require('fs').rmSync(dir, { recursive: true, force: true }); } catch {}",
  '  process.exit(0);',
  '});',
  'require(process.argv[1]);',
].join('\n');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

const SERVICES = ['Blob', 'Queue', 'Table'] as const;
type Service = (typeof SERVICES)[number];

/**
 * sqlUri (the benchmark's 200,000-blob day): Blob metadata in that MySQL/MariaDB database
 * (Azurite's AZURITE_DB) instead of in-memory LokiJS, and blob contents on disk in the temp cwd.
 */
export async function startAzurite(opts: { startTimeoutMs?: number; sqlUri?: string } = {}): Promise<AzuriteHandle> {
  const startTimeoutMs = opts.startTimeoutMs ?? 15000;
  const cwd = mkdtempSync(join(tmpdir(), 'azurite-'));
  const args = [
    '-e',
    WRAPPER,
    AZURITE_MAIN,
    '--skipApiVersionCheck',
    '--disableTelemetry',
    // Azurite refuses these two with a SQL metadata store.
    ...(opts.sqlUri ? [] : ['--inMemoryPersistence', '--extentMemoryLimit', '256']),
    '--silent',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--queuePort',
    '0',
    '--tablePort',
    '0',
  ];
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, AZURITE_ACCOUNTS: undefined, NODE_OPTIONS: undefined, AZURITE_DB: opts.sqlUri },
    windowsHide: true,
  });
  live.add(child);
  installExitHook();

  let output = '';
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const cleanupDir = (): void => {
    try {
      rmSync(cwd, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    // Let the IPC channel and pipes settle so Jest sees no open handles.
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (child.connected) child.disconnect();
    cleanupDir();
  };

  let ports: Record<Service, number>;
  try {
    ports = await new Promise<Record<Service, number>>((resolve, reject) => {
      const found: Partial<Record<Service, number>> = {};
      const timer = setTimeout(
        () => reject(new Error(`Azurite did not start within ${startTimeoutMs} ms. Output:\n${output}`)),
        startTimeoutMs,
      );
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.length > 20000) output = output.slice(-20000);
        const re = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:\s]+:(\d+)/g;
        for (const m of output.matchAll(re)) found[m[1] as Service] = Number(m[2]);
        if (SERVICES.every((s) => found[s])) {
          clearTimeout(timer);
          resolve(found as Record<Service, number>);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited early (code ${code}, signal ${signal}). Output:\n${output}`));
      });
    });
  } catch (err) {
    await kill();
    throw err;
  }

  const base = (port: number): string => `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  const blobUrl = base(ports.Blob);
  const queueUrl = base(ports.Queue);
  const tableUrl = base(ports.Table);
  let closed: Promise<void> | undefined;
  return {
    blobUrl,
    queueUrl,
    tableUrl,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    pid: child.pid ?? -1,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobUrl};QueueEndpoint=${queueUrl};TableEndpoint=${tableUrl};`,
    close: () => (closed ??= kill()),
  };
}

function sharedKey(h: AzuriteHandle): StorageSharedKeyCredential {
  return new StorageSharedKeyCredential(h.accountName, h.accountKey);
}

/** Creates the container if missing and returns a container SAS URL with permissions racwl. */
export async function containerSasUrl(h: AzuriteHandle, container: string, hours = 1): Promise<string> {
  const credential = sharedKey(h);
  const containerClient = new BlobServiceClient(h.blobUrl, credential).getContainerClient(container);
  await containerClient.createIfNotExists();
  const now = Date.now();
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse('racwl'),
      startsOn: new Date(now - 5 * 60 * 1000),
      expiresOn: new Date(now + hours * 3600 * 1000),
    },
    credential,
  ).toString();
  return `${containerClient.url}?${sas}`;
}

/** Downloads every blob of the container (names sorted), for assertions. */
export async function listBlobs(h: AzuriteHandle, container: string): Promise<{ name: string; body: string }[]> {
  const containerClient: ContainerClient = new BlobServiceClient(h.blobUrl, sharedKey(h)).getContainerClient(
    container,
  );
  const out: { name: string; body: string }[] = [];
  for await (const item of containerClient.listBlobsFlat()) {
    const buf = await containerClient.getBlobClient(item.name).downloadToBuffer();
    out.push({ name: item.name, body: buf.toString('utf8') });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
