import { createHash } from 'node:crypto';

/** What each sealed value is bound to (the AES-GCM additional data), shared by both adapters. */
export const purposes = {
  setting: (key: string) => `setting:${key}`,
  requestToken: (tokenKey: string) => `request-token:${tokenKey}`,
  accessToken: (jobId: string) => `job:${jobId}:access-token`,
  accessSecret: (jobId: string) => `job:${jobId}:access-secret`,
  task: (jobId: string, taskId: string) => `task:${jobId}:${taskId}`,
};

/** Request tokens are looked up by hash, so the store never holds a usable token in the clear. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares X post ids (64-bit decimal strings) numerically. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A post id as a fixed-width key (20 digits: the largest 64-bit id), so that text order is numeric order. */
export function postKey(postId: string): string {
  return postId.padStart(20, '0');
}
