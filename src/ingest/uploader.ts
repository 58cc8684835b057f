import { AnonymousCredential, ContainerClient, RestError, StorageRetryPolicyType } from '@azure/storage-blob';
import { networkFailure, PermanentError, seconds, TransientError } from '../errors';

/** The SDK reports an aborted request as an AbortError whatever aborted it. */
const timedOut = (err: unknown): boolean => (err as { name?: string })?.name === 'AbortError';

/**
 * Uploads Items through the task's container SAS URL. Blob names are deterministic
 * ({jobId}/{taskId}/{postId}.json), so a retried task overwrites instead of duplicating.
 */
export class ItemUploader {
  private readonly container: ContainerClient;

  /**
   * timeoutMs bounds one upload, the SDK's retries included: the SDK's own per-try timeout only
   * asks the server to give up, so a connection that never answers would hold the task forever.
   */
  constructor(
    sasUrl: string,
    tries = 4,
    private readonly timeoutMs = 120_000,
  ) {
    this.container = new ContainerClient(sasUrl, new AnonymousCredential(), {
      retryOptions: { maxTries: tries, retryPolicyType: StorageRetryPolicyType.EXPONENTIAL, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
    });
  }

  static blobName(jobId: string, taskId: string, postId: string): string {
    return `${jobId}/${taskId}/${postId}.json`;
  }

  /** body: the Item's JSON, as a string or already as UTF-8 bytes. */
  async upload(name: string, json: string | Buffer, signal?: AbortSignal): Promise<void> {
    const body = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
    try {
      await this.container.getBlockBlobClient(name).upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
        abortSignal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // The task itself stopping (shutdown, a lost lease) is not a Blob Storage failure.
      if (signal?.aborted) throw signal.reason;
      const status = err instanceof RestError ? err.statusCode : undefined;
      // 401/403/404: the SAS is wrong, expired or its container gone — retrying the task will not help.
      if (status === 401 || status === 403 || status === 404) {
        throw new PermanentError(`Uploading ${name} was refused by Azure Blob Storage (HTTP ${status}): the BlobSasUri is invalid or expired`, { cause: err });
      }
      // The SDK has retried already: say what its last try met.
      const why = status ? `HTTP ${status}` : (networkFailure(err, this.timeoutMs) ?? (timedOut(err) ? `no answer within ${seconds(this.timeoutMs)}` : ((err as Error)?.message ?? String(err))));
      throw new TransientError(`Uploading ${name} to Azure Blob Storage failed: ${why}`, { cause: err });
    }
  }
}
