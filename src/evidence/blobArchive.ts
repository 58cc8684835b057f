import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';
import { TransientError } from '../errors';
import type { ArchiveBackend } from './backend';

/**
 * The archive in a blob container of the connector's storage account (ARCHIVE_CONTAINER), where
 * the admin can turn on Azure's immutability policy. A blob is created with If-None-Match: *, so
 * an existing one is never replaced.
 */
export class BlobArchive implements ArchiveBackend {
  private constructor(
    private readonly container: ContainerClient,
    readonly where: string,
  ) {}

  static async open(connectionString: string, containerName: string): Promise<BlobArchive> {
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
    try {
      await container.createIfNotExists();
    } catch (err) {
      throw new TransientError(`The archive container ${containerName} cannot be opened in Azure Blob Storage: ${(err as Error).message}`, { cause: err });
    }
    return new BlobArchive(container, `blob container ${containerName}`);
  }

  async create(path: string, bytes: Buffer, contentType: string): Promise<'created' | 'exists'> {
    try {
      await this.container.getBlockBlobClient(path).upload(bytes, bytes.length, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: contentType },
      });
      return 'created';
    } catch (err) {
      // 409 BlobAlreadyExists; 412 when a concurrent writer made it first.
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) return 'exists';
      throw new TransientError(`Writing ${path} to the archive (${this.where}) failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlockBlobClient(path).downloadToBuffer();
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw new TransientError(`Reading ${path} from the archive (${this.where}) failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const blob of this.container.listBlobsFlat(prefix ? { prefix } : {})) yield blob.name;
  }
}
