import { randomBytes } from 'node:crypto';
import type { ApiV2Includes, MediaObjectV2, TweetV2, UserV2 } from 'twitter-api-v2';

/** The Item JSON the Microsoft 365 Import service reads (the sample's ConnectorSDK Item, PascalCase). */
export interface ItemUser {
  Id: string | null;
  UserProfilePhotoUrl: string | null;
  Name: string;
  EmailAddress: string | null;
  MobileNumber: string | null;
}

export interface ContentAttachment {
  Content: string | null;
  Uri: string;
  AttachmentType: 'media';
  AttachmentFileName: string;
}

export interface Item {
  SchemaVersion: '1.0';
  Id: string;
  SourceType: 'Twitter';
  /** Tweet: a post; TweetDeletion: X reported an archived post gone (SPEC, "A faithful record"). */
  ItemType: 'Tweet' | 'TweetDeletion';
  ContainerId: string;
  ContainerName: string;
  ThreadId: string | null;
  ParentId: string | null;
  Sender: ItemUser;
  Recipients: ItemUser[];
  SentTimeUtc: string;
  ContentType: 1;
  Content: string;
  MessagePreviewText: string;
  NumOfLikes: number;
  PreContext: Item[] | null;
  PostContext: null;
  ContentAttachments: ContentAttachment[] | null;
}

/** A media object reduced to what is downloaded for it. */
export interface MediaRef {
  mediaKey: string;
  url: string;
  fileName: string;
}

export interface Container {
  id: string;
  name: string;
}

const PREVIEW_CHARS = 200;

/** X escapes exactly these three in `text` and `note_tweet.text`; a person reads them unescaped. */
export function unescapeX(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** First characters of the text on one line, cut on a code point (never half an emoji). */
export function previewOf(text: string): string {
  // At most two UTF-16 units per code point, plus whitespace that collapses: no need to look further.
  const head = text.length > PREVIEW_CHARS * 4 ? text.slice(0, PREVIEW_CHARS * 4) : text;
  const flat = head.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  if (chars.length <= PREVIEW_CHARS && head.length === text.length) return flat;
  return `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}

/** Full text as a person reads it: a long post's note_tweet, not its truncated `text`. */
export function fullText(post: TweetV2): string {
  return unescapeX(post.note_tweet?.text ?? post.text);
}

/** Photos by url; video and GIF by the highest-bit-rate mp4, else the preview image. */
export function mediaUrl(media: MediaObjectV2): string | undefined {
  if (media.type === 'photo') return media.url ?? undefined;
  const mp4s = (media.variants ?? []).filter((v) => v.content_type === 'video/mp4' && v.url);
  mp4s.sort((a, b) => (b.bit_rate ?? 0) - (a.bit_rate ?? 0));
  return mp4s[0]?.url ?? media.preview_image_url ?? undefined;
}

function fileNameFor(media: MediaObjectV2, url: string): string {
  let base: string;
  try {
    base = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    base = '';
  }
  base = base.replace(/[^A-Za-z0-9._-]/g, '_');
  if (!/\.[A-Za-z0-9]{2,5}$/.test(base)) base = `${media.media_key}.${media.type === 'photo' ? 'jpg' : 'mp4'}`;
  return base;
}

/** Lookups over a page's includes. */
export class Includes {
  private readonly users = new Map<string, UserV2>();
  private readonly posts = new Map<string, TweetV2>();
  private readonly media = new Map<string, MediaObjectV2>();

  constructor(includes: ApiV2Includes) {
    for (const u of includes.users ?? []) this.users.set(u.id, u);
    for (const t of includes.tweets ?? []) this.posts.set(t.id, t);
    for (const m of includes.media ?? []) this.media.set(m.media_key, m);
  }

  user(id: string | undefined): UserV2 | undefined {
    return id === undefined ? undefined : this.users.get(id);
  }

  post(id: string): TweetV2 | undefined {
    return this.posts.get(id);
  }

  mediaOf(post: TweetV2): MediaRef[] {
    const refs: MediaRef[] = [];
    for (const key of post.attachments?.media_keys ?? []) {
      const m = this.media.get(key);
      const url = m && mediaUrl(m);
      if (m && url) refs.push({ mediaKey: key, url, fileName: fileNameFor(m, url) });
    }
    return refs;
  }
}

function sender(post: TweetV2, inc: Includes): ItemUser {
  const author = inc.user(post.author_id);
  return {
    Id: post.author_id ?? null,
    UserProfilePhotoUrl: author?.profile_image_url ?? null,
    Name: author?.name ?? 'Anonymous',
    EmailAddress: null,
    MobileNumber: null,
  };
}

/** Downloaded media content by URL (base64), or null when it was skipped (too big, not allowed, failed). */
export type MediaContent = (ref: MediaRef) => string | null;

function attachments(post: TweetV2, inc: Includes, content: MediaContent): ContentAttachment[] | null {
  const refs = inc.mediaOf(post);
  if (!refs.length) return null;
  return refs.map((ref) => ({ Content: content(ref), Uri: ref.url, AttachmentType: 'media', AttachmentFileName: ref.fileName }));
}

function baseItem(post: TweetV2, inc: Includes, container: Container, content: MediaContent): Item {
  const text = fullText(post);
  const repliedTo = post.referenced_tweets?.find((r) => r.type === 'replied_to')?.id ?? null;
  return {
    SchemaVersion: '1.0',
    Id: post.id,
    SourceType: 'Twitter',
    ItemType: 'Tweet',
    ContainerId: container.id,
    ContainerName: container.name,
    ThreadId: post.conversation_id ?? post.id,
    ParentId: repliedTo,
    Sender: sender(post, inc),
    Recipients: [],
    SentTimeUtc: new Date(post.created_at ?? 0).toISOString(),
    ContentType: 1,
    Content: text,
    MessagePreviewText: previewOf(text),
    NumOfLikes: post.public_metrics?.like_count ?? 0,
    PreContext: null,
    PostContext: null,
    ContentAttachments: attachments(post, inc, content),
  };
}

/**
 * Maps one post to its Item. A retweet carries the original's full text (X's own `text` is the
 * truncated "RT @user: …"); the retweeted, quoted or replied-to posts, when X expanded them,
 * become the PreContext, each as an Item of its own.
 */
export function mapPost(post: TweetV2, inc: Includes, container: Container, content: MediaContent): Item {
  const item = baseItem(post, inc, container, content);
  const pre: Item[] = [];
  for (const ref of post.referenced_tweets ?? []) {
    const referenced = inc.post(ref.id);
    if (!referenced) continue;
    pre.push(baseItem(referenced, inc, container, content));
    if (ref.type === 'retweeted') {
      const author = inc.user(referenced.author_id);
      const full = fullText(referenced);
      item.Content = author ? `RT @${author.username}: ${full}` : full;
      item.MessagePreviewText = previewOf(item.Content);
      // A retweet has no media of its own; the original's are what the person saw.
      item.ContentAttachments = item.ContentAttachments ?? attachments(referenced, inc, content);
    }
  }
  item.PreContext = pre.length ? pre : null;
  return item;
}

/** Media every post of a page (and the posts it references) shows, for downloading ahead of mapping. */
export function mediaToFetch(post: TweetV2, inc: Includes): MediaRef[] {
  const refs = [...inc.mediaOf(post)];
  for (const ref of post.referenced_tweets ?? []) {
    const referenced = inc.post(ref.id);
    if (referenced) refs.push(...inc.mediaOf(referenced));
  }
  return refs;
}

/** UTC day (YYYY-MM-DD) an item counts against, from its SentTimeUtc. */
export function dayOf(createdAt: string | undefined): string {
  return new Date(createdAt ?? 0).toISOString().slice(0, 10);
}

/**
 * An Item's JSON as UTF-8 bytes, its attachments' base64 spliced in rather than serialized:
 * JSON.stringify scans a string for characters to escape and UTF-8 encodes it again, which costs
 * ~10× more than copying it, and base64 never needs escaping. mapPost is given placeholder(b64) as
 * each attachment's Content; toBuffer(item) puts the contents where the placeholders stand.
 */
export class ItemBody {
  /** Random per process: a post's own text cannot name a placeholder. */
  private static readonly tag = randomBytes(12).toString('hex');
  private static readonly pattern = new RegExp(`"${ItemBody.tag}:(\\d+)"`, 'g');
  private readonly contents: string[] = [];

  placeholder(base64: string): string {
    this.contents.push(base64);
    return `${ItemBody.tag}:${this.contents.length - 1}`;
  }

  toBuffer(item: Item): Buffer {
    const json = JSON.stringify(item);
    if (!this.contents.length) return Buffer.from(json, 'utf8');
    const parts: Buffer[] = [];
    let from = 0;
    for (const m of json.matchAll(ItemBody.pattern)) {
      parts.push(Buffer.from(json.slice(from, m.index), 'utf8'), Buffer.from(`"${this.contents[Number(m[1])]!}"`, 'latin1'));
      from = m.index + m[0].length;
    }
    parts.push(Buffer.from(json.slice(from), 'utf8'));
    return Buffer.concat(parts);
  }
}
