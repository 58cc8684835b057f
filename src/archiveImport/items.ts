import type { ApiV2Includes, MediaObjectV2, TweetV2, UserV2 } from 'twitter-api-v2';
import { unescapeX } from '../ingest/postText';
import { mediaUrl, previewOf, type Container, type ContentAttachment, type Item, type ItemUser } from '../ingest/item';
import type { ArchiveMessage, ArchiveTweet, DmData, PostData } from './format';
import { tweetOf } from './format';

/**
 * An archive's post in the shape of X API v2 (what the mapper takes), so that imported posts
 * follow the same rules as posts from the API: the archive's v1.1-like fields, indices as code
 * points of the escaped text, media by id.
 */
const num = (v: string | number | undefined) => Number(v ?? 0) || 0;

export function postOf(data: PostData): ArchiveTweet {
  return tweetOf(data.raw)!;
}

export function toV2(data: PostData, accountId: string, threadId: string): { post: TweetV2; media: MediaObjectV2[]; users: UserV2[] } {
  const t = postOf(data);
  const media = t.extended_entities?.media ?? t.entities?.media ?? [];
  const mediaUrls = (t.entities?.media ?? media).map((m) => ({
    start: num(m.indices?.[0]),
    end: num(m.indices?.[1]),
    url: m.url ?? '',
    expanded_url: m.expanded_url ?? '',
    display_url: '',
    media_key: m.id_str,
  }));
  const urls = (t.entities?.urls ?? []).map((u) => ({ start: num(u.indices?.[0]), end: num(u.indices?.[1]), url: u.url, expanded_url: u.expanded_url ?? u.url, display_url: u.display_url ?? '' }));
  const mentions = (t.entities?.user_mentions ?? []).map((m) => ({ start: num(m.indices?.[0]), end: num(m.indices?.[1]), username: m.screen_name, id: m.id_str ?? '' }));
  const note = data.note?.core;
  const post = {
    id: t.id_str,
    text: t.full_text ?? t.text ?? '',
    created_at: new Date(Date.parse(t.created_at)).toISOString(),
    author_id: accountId,
    conversation_id: threadId,
    edit_history_tweet_ids: t.edit_info?.initial?.editTweetIds ?? t.edit_info?.edit?.editControlInitial?.editTweetIds ?? [t.id_str],
    entities: { urls: [...urls, ...mediaUrls.filter((u) => u.url)], mentions, hashtags: [], cashtags: [], annotations: [] },
    public_metrics: { like_count: num(t.favorite_count), retweet_count: num(t.retweet_count), reply_count: 0, quote_count: 0 },
    ...(t.in_reply_to_status_id_str ? { referenced_tweets: [{ type: 'replied_to' as const, id: t.in_reply_to_status_id_str }] } : {}),
    ...(t.in_reply_to_user_id_str ? { in_reply_to_user_id: t.in_reply_to_user_id_str } : {}),
    ...(media.length ? { attachments: { media_keys: media.map((m) => m.id_str) } } : {}),
    ...(t.lang ? { lang: t.lang } : {}),
    ...(note
      ? {
          note_tweet: {
            text: note.text,
            entities: {
              urls: (note.urls ?? []).map((u) => ({ start: num(u.fromIndex), end: num(u.toIndex), url: u.shortUrl, expanded_url: u.expandedUrl ?? u.shortUrl, display_url: u.displayUrl ?? '' })),
              mentions: (note.mentions ?? []).map((m) => ({ start: num(m.fromIndex), end: num(m.toIndex), username: m.screenName, id: '' })),
            },
          },
        }
      : {}),
  } as unknown as TweetV2;
  const mediaObjects = media.map(
    (m) =>
      ({
        media_key: m.id_str,
        type: m.type ?? 'photo',
        ...(m.type === 'photo' || !m.type ? { url: m.media_url_https } : { preview_image_url: m.media_url_https }),
        ...(m.video_info?.variants ? { variants: m.video_info.variants.map((v) => ({ bit_rate: v.bitrate === undefined ? undefined : num(v.bitrate), content_type: v.content_type ?? '', url: v.url })) } : {}),
        ...(m.ext_alt_text ? { alt_text: m.ext_alt_text } : {}),
      }) as MediaObjectV2,
  );
  const users = (t.entities?.user_mentions ?? []).filter((m) => m.id_str).map((m) => ({ id: m.id_str!, name: m.name ?? m.screen_name, username: m.screen_name }) as UserV2);
  return { post, media: mediaObjects, users };
}

/** The zip member of each media URL the mapper will ask for. */
export function memberByUrl(data: PostData, media: MediaObjectV2[], out: Map<string, string>): void {
  for (const m of data.media) {
    const obj = media.find((o) => o.media_key === m.mediaId);
    const url = obj && mediaUrl(obj);
    if (url) out.set(url, m.member);
  }
}

export function includesOf(converted: { post: TweetV2; media: MediaObjectV2[]; users: UserV2[] }[], account: UserV2): ApiV2Includes {
  const users = new Map<string, UserV2>([[account.id, account]]);
  for (const c of converted) for (const u of c.users) if (!users.has(u.id)) users.set(u.id, u);
  return { tweets: converted.map((c) => c.post), media: converted.flatMap((c) => c.media), users: [...users.values()] };
}

function user(id: string, container: Container): ItemUser {
  return { Id: id, UserProfilePhotoUrl: null, Name: id === container.id ? container.name : id, EmailAddress: null, MobileNumber: null };
}

/** A direct message's Item: its conversation is its thread; links expanded, a link to its own media dropped. */
export function mapMessage(data: DmData, container: Container, content: (url: string) => string | null): Item {
  const m = (data.raw as { messageCreate: ArchiveMessage }).messageCreate;
  let text = m.text ?? '';
  for (const u of m.urls ?? []) {
    const ownMedia = /\/messages\/media\//.test(u.expanded ?? '');
    text = text.split(u.url).join(ownMedia ? '' : (u.expanded ?? u.url));
  }
  text = unescapeX(text).trim();
  const recipients = m.recipientId ? [m.recipientId] : data.participants.filter((p) => p !== m.senderId);
  const attachments: ContentAttachment[] = data.media.map((d) => ({ Content: content(d.url), Uri: d.url, AttachmentType: 'media', AttachmentFileName: d.member.split('/').pop()! }));
  return {
    SchemaVersion: '1.0',
    Id: m.id,
    SourceType: 'Twitter',
    ItemType: 'DirectMessage',
    ContainerId: container.id,
    ContainerName: container.name,
    ThreadId: data.conversationId,
    ParentId: null,
    Sender: user(m.senderId, container),
    Recipients: recipients.map((id) => user(id, container)),
    SentTimeUtc: new Date(Date.parse(m.createdAt)).toISOString(),
    ContentType: 1,
    Content: text,
    MessagePreviewText: previewOf(text),
    NumOfLikes: 0,
    PreContext: null,
    PostContext: null,
    ContentAttachments: attachments.length ? attachments : null,
  };
}
