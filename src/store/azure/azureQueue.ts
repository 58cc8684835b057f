import type { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';
import type { SecretBox } from '../../crypto/secretBox';
import { purposes } from '../shared';
import type { Lease, TaskMessage } from '../types';
import { chunked, hasStatus, keyOf, optimistic, unchunk, unless404 } from './tables';

/**
 * The task queue: an Azure Storage queue of pointers plus one table row per queued task.
 *
 * - The row (partition = encoded jobId, row = encoded taskId) holds the sealed TaskMessage (it
 *   carries a SAS URL, and messages are capped at 64 KiB), and is the dedupe marker: it exists
 *   from enqueueTask until completeTask.
 * - A message holds only {jobId, taskId}. The row records the id of the one message that
 *   "owns" it; any other message for the same task (left by an enqueue that stopped half-way
 *   and was retried) and any message whose row is gone (completed) is deleted when received.
 * - Invariant: a row bound to message M means M exists, because completeTask deletes the row
 *   before the message and messages never expire (TTL -1).
 */

interface TaskEntity {
  partitionKey: string;
  rowKey: string;
  jobId: string;
  taskId: string;
  enqueuedAt: string;
  messageId?: string;
}

interface Pointer {
  jobId: string;
  taskId: string;
}

/** Azure's visibility timeouts are whole seconds, from 1 s (receive) up to 7 days. */
const MAX_VISIBILITY_S = 7 * 24 * 3600;
function toSeconds(ms: number, min: number): number {
  return Math.min(MAX_VISIBILITY_S, Math.max(min, Math.ceil(ms / 1000)));
}

/** After completeTask removes the row, the message comes back after this if its deletion never happened. */
const COMPLETING_S = 30;
/** Surplus or stale messages skipped per leaseTask call, so a backlog of them cannot spin forever. */
const MAX_SKIPS = 32;

export class AzureTaskQueue {
  constructor(
    private readonly queue: QueueClient,
    private readonly tasks: TableClient,
    private readonly box: SecretBox,
  ) {}

  async enqueue(task: TaskMessage): Promise<void> {
    const pk = keyOf(task.jobId);
    const rk = keyOf(task.taskId);
    const payload = this.box.seal(JSON.stringify(task), purposes.task(task.jobId, task.taskId));
    let etag: string | undefined;
    try {
      etag = (await this.tasks.createEntity({ partitionKey: pk, rowKey: rk, jobId: task.jobId, taskId: task.taskId, enqueuedAt: task.enqueuedAt, ...chunked('payload', payload) })).etag;
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
      const existing = await unless404(this.tasks.getEntity<TaskEntity>(pk, rk));
      if (!existing) return this.enqueue(task); // completed in between: queue it afresh
      if (existing.messageId) return; // still queued
      etag = existing.etag; // an earlier enqueue stopped before its message was bound: finish it
    }
    const pointer: Pointer = { jobId: task.jobId, taskId: task.taskId };
    const sent = await this.queue.sendMessage(JSON.stringify(pointer), { messageTimeToLive: -1 });
    try {
      await this.tasks.updateEntity({ partitionKey: pk, rowKey: rk, messageId: sent.messageId }, 'Merge', { etag });
    } catch (err) {
      if (!hasStatus(err, 404, 412)) throw err;
      // Someone else bound the row first (a concurrent enqueue, or a worker that received this
      // very message): ours is surplus unless it is the one bound.
      const now = await unless404(this.tasks.getEntity<TaskEntity>(pk, rk));
      if (now?.messageId !== sent.messageId) await unless404(this.queue.deleteMessage(sent.messageId, sent.popReceipt)).catch(() => undefined);
    }
  }

  async lease(visibilityMs: number): Promise<Lease | undefined> {
    const visibilityTimeout = toSeconds(visibilityMs, 1);
    for (let skipped = 0; skipped < MAX_SKIPS; skipped++) {
      const { receivedMessageItems } = await this.queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout });
      const msg = receivedMessageItems[0];
      if (!msg) return undefined;
      const pointer = parsePointer(msg.messageText);
      const row = pointer && (await this.claim(pointer, msg.messageId));
      if (!pointer || !row) {
        await unless404(this.queue.deleteMessage(msg.messageId, msg.popReceipt)).catch(() => undefined);
        continue;
      }
      const task = JSON.parse(this.box.open(unchunk(row, 'payload'), purposes.task(pointer.jobId, pointer.taskId))) as TaskMessage;
      return { task, leaseId: encodeLease(msg.messageId, msg.popReceipt), dequeueCount: msg.dequeueCount };
    }
    return undefined;
  }

  /** The task's row if this message owns it (binding an unbound row to it); undefined for a stale or surplus message. */
  private async claim(p: Pointer, messageId: string): Promise<(TaskEntity & Record<string, unknown>) | undefined> {
    return optimistic('leaseTask', async () => {
      const row = await unless404(this.tasks.getEntity<TaskEntity & Record<string, unknown>>(keyOf(p.jobId), keyOf(p.taskId)));
      if (!row || (row.messageId && row.messageId !== messageId)) return undefined;
      if (!row.messageId) {
        await this.tasks.updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, messageId }, 'Merge', { etag: row.etag });
      }
      return row;
    });
  }

  /**
   * Every update of a message changes its pop receipt, so the caller's Lease is updated in place
   * to carry the new one.
   */
  async extend(lease: Lease, visibilityMs: number): Promise<boolean> {
    const { messageId, popReceipt } = decodeLease(lease.leaseId);
    const receipt = await this.touch(messageId, popReceipt, toSeconds(visibilityMs, 0));
    if (receipt === undefined) return false;
    lease.leaseId = encodeLease(messageId, receipt);
    return true;
  }

  async complete(lease: Lease): Promise<void> {
    const { messageId, popReceipt } = decodeLease(lease.leaseId);
    // Proves the lease is still ours before anything is removed, and sets a short visibility
    // so that, should we stop between the two deletes, the message returns soon and is dropped.
    const receipt = await this.touch(messageId, popReceipt, COMPLETING_S);
    if (receipt === undefined) return;
    const pk = keyOf(lease.task.jobId);
    const rk = keyOf(lease.task.taskId);
    await optimistic('completeTask', async () => {
      const row = await unless404(this.tasks.getEntity<TaskEntity>(pk, rk));
      if (!row || row.messageId !== messageId) return;
      await this.tasks.deleteEntity(pk, rk, { etag: row.etag });
    });
    await unless404(this.queue.deleteMessage(messageId, receipt));
  }

  async release(lease: Lease): Promise<void> {
    const { messageId, popReceipt } = decodeLease(lease.leaseId);
    const receipt = await this.touch(messageId, popReceipt, 0);
    if (receipt !== undefined) lease.leaseId = encodeLease(messageId, receipt);
  }

  /** Counts leased messages too, like the SQLite adapter; approximate by Azure's definition. */
  async depth(): Promise<number> {
    return (await this.queue.getProperties()).approximateMessagesCount ?? 0;
  }

  /** The oldest row still queued (waiting or leased): every queued task has one until completeTask. */
  async oldestQueuedAt(): Promise<string | null> {
    let oldest: string | null = null;
    for await (const row of this.tasks.listEntities<{ enqueuedAt?: string }>({ queryOptions: { select: ['enqueuedAt'] } })) {
      if (row.enqueuedAt && (oldest === null || row.enqueuedAt < oldest)) oldest = row.enqueuedAt;
    }
    return oldest;
  }

  /** Sets the visibility of a message we hold; undefined when the lease was lost (receipt stale, message gone). */
  private async touch(messageId: string, popReceipt: string, visibilityTimeout: number): Promise<string | undefined> {
    try {
      const res = await this.queue.updateMessage(messageId, popReceipt, undefined, visibilityTimeout);
      if (!res.popReceipt) throw new Error('Azure Storage updateMessage returned no pop receipt');
      return res.popReceipt;
    } catch (err) {
      // 400 PopReceiptMismatch: someone else received it since; 404: it was deleted.
      if (hasStatus(err, 400, 404)) return undefined;
      throw err;
    }
  }
}

function parsePointer(text: string): Pointer | undefined {
  try {
    const p = JSON.parse(text) as Partial<Pointer>;
    return typeof p.jobId === 'string' && typeof p.taskId === 'string' ? { jobId: p.jobId, taskId: p.taskId } : undefined;
  } catch {
    return undefined;
  }
}

function encodeLease(messageId: string, popReceipt: string): string {
  return Buffer.from(JSON.stringify([messageId, popReceipt])).toString('base64url');
}

function decodeLease(leaseId: string): { messageId: string; popReceipt: string } {
  const [messageId, popReceipt] = JSON.parse(Buffer.from(leaseId, 'base64url').toString('utf8')) as [string, string];
  return { messageId, popReceipt };
}
