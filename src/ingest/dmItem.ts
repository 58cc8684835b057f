import type { TweetV2, UserV2 } from 'twitter-api-v2';
import type { DMEventV2 } from 'twitter-api-v2/dist/esm/types/v2/dm.v2.types';
import { Includes } from './includes';
import { mapPost, previewOf, type Container, type Item, type ItemUser, type MediaContent } from './item';
import { altTextLine, expandLinks, missingMediaLine, withLines } from './postText';

function itemUser(id: string, user: UserV2 | undefined): ItemUser {
  return { Id: id, UserProfilePhotoUrl: user?.profile_image_url || null, Name: user?.name || user?.username || id, EmailAddress: null, MobileNumber: null };
}

/**
 * Who else is in the conversation: the participants X named, less the sender; failing that, a
 * one-to-one conversation's id is `<smaller user id>-<larger user id>` (X's DM integration guide).
 */
export function dmRecipientIds(event: DMEventV2): string[] {
  const sender = event.sender_id;
  if (event.participant_ids?.length) return event.participant_ids.filter((id) => id !== sender);
  const pair = /^(\d+)-(\d+)$/.exec(event.dm_conversation_id ?? '');
  return pair ? [pair[1]!, pair[2]!].filter((id) => id !== sender) : [];
}

/** The event's attachments as a post's, for the media lookups every Item shares. */
export function asPost(event: DMEventV2): TweetV2 {
  return { id: event.id, text: 'text' in event ? event.text : '', edit_history_tweet_ids: [], ...(event.attachments?.media_keys ? { attachments: { media_keys: event.attachments.media_keys } } : {}) };
}

/**
 * One direct message as an Item: Sender the author, Recipients the other participants, ThreadId
 * the conversation; Content the text with its links expanded and, on lines of their own, alt
 * texts and media X did not return; attachments as for posts; shared posts in PreContext.
 */
export function mapDirectMessage(event: DMEventV2, inc: Includes, container: Container, content: MediaContent): Item {
  const raw = 'text' in event ? event.text : '';
  const text = expandLinks(raw, event.entities?.urls, event.id);
  const shape = asPost(event);
  const refs = inc.mediaOf(shape);
  const lines = [...refs.filter((r) => r.altText).map((r) => altTextLine(r.fileName, r.altText!)), ...inc.missingMedia(shape).map(missingMediaLine)];
  const shared = (event.referenced_tweets ?? []).map((r) => inc.post(r.id)).filter((p): p is TweetV2 => p !== undefined);
  const sender = event.sender_id ?? '';
  return {
    SchemaVersion: '1.0',
    Id: event.id,
    SourceType: 'Twitter',
    ItemType: 'DirectMessage',
    ContainerId: container.id,
    ContainerName: container.name,
    ThreadId: event.dm_conversation_id ?? null,
    ParentId: null,
    Sender: sender ? itemUser(sender, inc.user(sender)) : { Id: null, UserProfilePhotoUrl: null, Name: 'Anonymous', EmailAddress: null, MobileNumber: null },
    Recipients: dmRecipientIds(event).map((id) => itemUser(id, inc.user(id))),
    SentTimeUtc: new Date(event.created_at ?? 0).toISOString(),
    ContentType: 1,
    Content: withLines(text, lines),
    MessagePreviewText: previewOf(text),
    NumOfLikes: 0,
    PreContext: shared.length ? shared.map((p) => mapPost(p, inc, container, () => null)) : null,
    PostContext: null,
    ContentAttachments: refs.length ? refs.map((ref) => ({ Content: content(ref), Uri: ref.url, AttachmentType: 'media', AttachmentFileName: ref.fileName })) : null,
  };
}
