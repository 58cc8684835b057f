/**
 * A Blob Storage stand-in that answers Put Blob at once (or after latencyMs), for the runs Azurite cannot carry.
 *
 * Azurite 3.35's metadata store (LokiJS) finds a blob by {accountName, containerName, name,
 * snapshot}; LokiJS narrows by the first indexed key, accountName, which every blob shares, and
 * then scans all of them. So each Put Blob costs time proportional to the blobs already stored,
 * and a day of n blobs costs O(n²): measured on this machine, ~1.5 ms a Put on an empty Azurite,
 * ~20 ms a Put once it holds 20,000 blobs (LokiJS Resultset.find: 89% of Azurite's CPU). A
 * 200,000-blob day would take hours, and would measure Azurite, not the worker.
 *
 * It also shows what upload concurrency is for: on loopback both Azurite and the worker are
 * CPU-bound, so in-flight requests have nothing to overlap; with latencyMs set, the sink answers
 * like a remote service and the overlap becomes visible.
 *
 * This sink speaks just enough of the Blob REST API for @azure/storage-blob's upload(): PUT
 * /{account}/{container}/{blob}?{SAS} with x-ms-blob-type: BlockBlob → 201 with an ETag. It
 * checks that a SAS signature came along, that the body is as long as declared and (on a
 * sample) that it is an Item whose Id names the blob; it keeps names (to count distinct blobs)
 * and sizes, never bodies.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from '../test/fakes/azurite';

export interface BlobSink {
  /** Each Put Blob is answered this long after its body arrived (0: at once), to stand for a remote service. */
  latencyMs: number;
  /** http://127.0.0.1:PORT/devstoreaccount1 (path-style, like Azurite) */
  blobUrl: string;
  /** A container SAS URL in the same form as containerSasUrl() gives for Azurite. */
  containerSasUrl(container: string): string;
  /** Distinct blobs stored in the container. */
  count(container: string): number;
  stats(): { puts: number; bytes: number; rejected: number; lastError: string | undefined };
  close(): Promise<void>;
}

/** Checks one body in this many: parsing all 200,000 would load the shared CPUs for little. */
const SAMPLE_EVERY = 97;

export async function startBlobSink(): Promise<BlobSink> {
  const containers = new Map<string, Set<string>>();
  let puts = 0;
  let bytes = 0;
  let rejected = 0;
  let lastError: string | undefined;

  const server = http.createServer((req, res) => {
    const fail = (status: number, code: string, message: string): void => {
      rejected++;
      lastError = `${status} ${code}: ${message}`;
      const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)), 'x-ms-error-code': code });
      res.end(xml);
    };
    const u = new URL(req.url ?? '/', 'http://x');
    const [, account, container, ...rest] = u.pathname.split('/');
    const name = decodeURIComponent(rest.join('/'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      if (req.method !== 'PUT' || account !== AZURITE_ACCOUNT_NAME || !container || !name) return fail(400, 'UnsupportedOperation', `${req.method} ${u.pathname}`);
      if (!u.searchParams.get('sig') || !/[cw]/.test(u.searchParams.get('sp') ?? '')) return fail(403, 'AuthenticationFailed', 'no SAS with create/write permission');
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') return fail(400, 'InvalidHeaderValue', 'x-ms-blob-type');
      if (Number(req.headers['content-length']) !== size) return fail(400, 'InvalidHeaderValue', 'content-length');
      puts++;
      bytes += size;
      if (puts % SAMPLE_EVERY === 1) {
        try {
          const item = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Id?: unknown };
          if (!name.endsWith(`/${String(item.Id)}.json`)) throw new Error(`Id ${String(item.Id)} does not name ${name}`);
        } catch (err) {
          return fail(400, 'InvalidInput', `body of ${name}: ${(err as Error).message}`);
        }
      }
      let names = containers.get(container);
      if (!names) containers.set(container, (names = new Set()));
      names.add(name);
      const headers = {
        etag: `"0x8D${Date.now().toString(16).toUpperCase()}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': randomUUID(),
        'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-01-05'),
        'x-ms-request-server-encrypted': 'true',
        'content-length': '0',
      };
      const answer = (): void => void res.writeHead(201, headers).end();
      if (sink.latencyMs > 0) setTimeout(answer, sink.latencyMs);
      else answer();
    });
    req.on('error', () => res.destroy());
  });
  // Keep-alive sockets from the SDK's agent: no idle timeout cutting them mid-run.
  server.keepAliveTimeout = 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const blobUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY);
  const sink: BlobSink = {
    latencyMs: 0,
    blobUrl,
    containerSasUrl(container) {
      const now = Date.now();
      const sas = generateBlobSASQueryParameters(
        { containerName: container, permissions: ContainerSASPermissions.parse('racwl'), startsOn: new Date(now - 300_000), expiresOn: new Date(now + 4 * 3600_000) },
        credential,
      ).toString();
      return `${blobUrl}/${container}?${sas}`;
    },
    count: (container) => containers.get(container)?.size ?? 0,
    stats: () => ({ puts, bytes, rejected, lastError }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sink;
}
