import type { TaskMessage } from '../../store/types';
import { ItemUploader } from '../uploader';
import type { DeliveredItem, Sink } from './sink';

/** The Microsoft 365 Import service's container of the task, written through its SAS URL. */
export class ImportContainerSink implements Sink {
  readonly name = 'importContainer';
  private readonly uploader: ItemUploader;

  constructor(private readonly task: TaskMessage) {
    this.uploader = new ItemUploader(task.blobSasUri);
  }

  put({ item, body }: DeliveredItem, signal?: AbortSignal): Promise<void> {
    // Deterministic ({jobId}/{taskId}/{Item.Id}.json): a retried task overwrites instead of duplicating.
    return this.uploader.upload(ItemUploader.blobName(this.task.jobId, this.task.taskId, item.Id), body, signal);
  }
}
