import type { Deletion } from '../store/types';
import { previewOf, type Container, type Item } from './item';

const VIA: Record<Deletion['via'], string> = {
  compliance: "X's batch compliance check",
  lookup: 'a lookup of the post by id (X answered that it does not exist)',
  archive: "the account's own X archive (deleted-tweets.js), when it was imported",
};

/** What X reported, in words a reviewer reads without knowing X's API. */
export function deletionText(d: Deletion, archivedAt: string | null): string {
  const what = d.action === 'delete' ? 'deleted' : `no longer served (${d.action})`;
  const parts = [
    `X reported that post ${d.postId} was ${what}${d.reason ? `, reason: ${d.reason}` : ''}${d.occurredAt ? `, at ${d.occurredAt}` : ''}.`,
    `The connector learned it at ${d.learnedAt} through ${VIA[d.via]}.`,
    `It concerns the archived item ${d.postId}${archivedAt ? ` (posted ${archivedAt})` : ''}, which stays in the archive as it was.`,
  ];
  return parts.join('\n');
}

/**
 * The Item that records a deletion: `<postId>-deleted`, in the post's thread, with the post as
 * its parent, sent when the connector learned of it.
 */
export function mapDeletion(d: Deletion, container: Container, archivedAt: string | null): Item {
  const content = deletionText(d, archivedAt);
  return {
    SchemaVersion: '1.0',
    Id: `${d.postId}-deleted`,
    SourceType: 'Twitter',
    ItemType: 'TweetDeletion',
    ContainerId: container.id,
    ContainerName: container.name,
    ThreadId: d.conversationId ?? d.postId,
    ParentId: d.postId,
    // The account whose post it was: the deletion is part of its record.
    Sender: { Id: container.id, UserProfilePhotoUrl: null, Name: container.name, EmailAddress: null, MobileNumber: null },
    Recipients: [],
    SentTimeUtc: new Date(d.learnedAt).toISOString(),
    ContentType: 1,
    Content: content,
    MessagePreviewText: previewOf(content),
    NumOfLikes: 0,
    PreContext: null,
    PostContext: null,
    ContentAttachments: null,
  };
}
