import { randomBytes } from 'node:crypto';
import type { TweetV2, UserV2 } from 'twitter-api-v2';
import { Includes, type MediaRef } from './includes';
import { altTextLine, missingMediaLine, missingPostLine, placeLine, pollLine, postText, unescapeX, withheldLine, withLines } from './postText';

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
  /**
   * Tweet: the account's post; TweetDeletion: X reported an archived post gone; Reply / Mention: a
   * post by someone else answering or naming the account; DirectMessage (SPEC, "A faithful record").
   */
  ItemType: 'Tweet' | 'TweetDeletion' | 'Reply' | 'Mention' | 'DirectMessage';
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

export interface Container {
  id: string;
  name: string;
}

const PREVIEW_CHARS = 200;

export { unescapeX };
export { Includes, mediaUrl, type MediaRef } from './includes';

/** First characters of the text on one line, cut on a code point (never half an emoji). */
export function previewOf(text: string): string {
  // At most two UTF-16 units per code point, plus whitespace that collapses: no need to look further.
  const head = text.length > PREVIEW_CHARS * 4 ? text.slice(0, PREVIEW_CHARS * 4) : text;
  const flat = head.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  if (chars.length <= PREVIEW_CHARS && head.length === text.length) return flat;
  return `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}

/** Full text as a person reads it: a long post's note_tweet, not its truncated `text`; links to their targets. */
export function fullText(post: TweetV2): string {
  return postText(post);
}

/** Whether the post is the newest of several versions (X lists an edit chain oldest first). */
function isNewestVersion(post: TweetV2): boolean {
  const chain = post.edit_history_tweet_ids ?? [];
  return chain.length > 1 && chain[chain.length - 1] === post.id;
}

/** The earlier versions of an edited post, oldest first: only the newest version names them. */
export function earlierVersionIds(post: TweetV2): string[] {
  return isNewestVersion(post) ? post.edit_history_tweet_ids.slice(0, -1) : [];
}

/** The username a retweet's text names ("RT @name: …"), which X keeps even when it leaves the author out. */
function retweetedUsername(retweet: TweetV2): string | undefined {
  return /^RT @(\w{1,50}):/.exec(retweet.text)?.[1];
}

function itemUser(id: string | null, name: string, user: UserV2 | undefined): ItemUser {
  // X gives a withheld account's name and photo as "": no name, no photo.
  return { Id: id, UserProfilePhotoUrl: user?.profile_image_url || null, Name: name, EmailAddress: null, MobileNumber: null };
}

/**
 * The author as X names them: the user X returned, else the account itself, else the username X
 * gave elsewhere (a mention, a retweet's "RT @name:"), else the id. "Anonymous" only without an id.
 */
function sender(post: TweetV2, inc: Includes, container: Container, usernameHint?: string): ItemUser {
  const author = inc.user(post.author_id);
  const name = author?.name || (post.author_id === container.id ? container.name : undefined) || usernameHint || inc.usernameOf(post.author_id) || post.author_id || 'Anonymous';
  return itemUser(post.author_id ?? null, name, author);
}

/** The users the post replies to and mentions, each once: id, and the name X gave (else the username). */
function recipients(post: TweetV2, inc: Includes): ItemUser[] {
  const out: ItemUser[] = [];
  const seen = new Set<string>();
  const add = (id: string | undefined, username: string | undefined): void => {
    const user = inc.user(id) ?? (username ? inc.userNamed(username) : undefined);
    const key = id ?? user?.id ?? `@${username?.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(itemUser(id ?? user?.id ?? null, user?.name || username || inc.usernameOf(id) || id || 'Anonymous', user));
  };
  if (post.in_reply_to_user_id) add(post.in_reply_to_user_id, undefined);
  for (const m of [...(post.entities?.mentions ?? []), ...(post.note_tweet?.entities?.mentions ?? [])]) add(m.id || undefined, m.username);
  return out;
}

/** Downloaded media content by URL (base64), or null when it was skipped (too big, not allowed, failed). */
export type MediaContent = (ref: MediaRef) => string | null;

function attachments(refs: MediaRef[], content: MediaContent): ContentAttachment[] | null {
  if (!refs.length) return null;
  return refs.map((ref) => ({ Content: content(ref), Uri: ref.url, AttachmentType: 'media', AttachmentFileName: ref.fileName }));
}

/** What else the person saw, one line each: poll, place, alt texts, media not returned, withholding, posts X no longer serves. */
function lines(post: TweetV2, shown: TweetV2, refs: MediaRef[], inc: Includes): string[] {
  const out: string[] = [];
  for (const id of shown.attachments?.poll_ids ?? []) {
    const poll = inc.poll(id);
    if (poll) out.push(pollLine(poll));
  }
  const placeId = shown.geo?.place_id;
  if (placeId) out.push(placeLine(inc.place(placeId), placeId));
  for (const ref of refs) if (ref.altText) out.push(altTextLine(ref.fileName, ref.altText));
  for (const key of inc.missingMedia(shown)) out.push(missingMediaLine(key));
  for (const p of shown === post ? [post] : [post, shown]) if (p.withheld) out.push(withheldLine(p.withheld));
  for (const ref of post.referenced_tweets ?? []) {
    const why = inc.whyMissing(ref.id);
    if (why && !inc.post(ref.id)) out.push(missingPostLine(ref.type, ref.id, why));
  }
  for (const id of earlierVersionIds(post)) {
    const why = inc.whyMissing(id);
    if (why && !inc.post(id)) out.push(missingPostLine('edit', id, why));
  }
  return out;
}

function baseItem(post: TweetV2, inc: Includes, container: Container, content: MediaContent, usernameHint?: string): Item {
  const text = fullText(post);
  const refs = inc.mediaOf(post);
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
    Sender: sender(post, inc, container, usernameHint),
    Recipients: recipients(post, inc),
    SentTimeUtc: new Date(post.created_at ?? 0).toISOString(),
    ContentType: 1,
    Content: withLines(text, lines(post, post, refs, inc)),
    MessagePreviewText: previewOf(text),
    NumOfLikes: post.public_metrics?.like_count ?? 0,
    PreContext: null,
    PostContext: null,
    ContentAttachments: attachments(refs, content),
  };
}

/**
 * Maps one post to its Item, as the person saw it. A retweet reads "RT @user: " and the
 * original's full text (X's own `text` is truncated), with the original's media as attachments;
 * the retweeted, quoted or replied-to posts, when X expanded them, and — for the newest version of
 * an edited post — its earlier versions, oldest first, become the PreContext, each an Item of its
 * own. Each media file is embedded once per Item: a copy in PreContext lists it by Uri only.
 */
export function mapPost(post: TweetV2, inc: Includes, container: Container, content: MediaContent): Item {
  inc.learnMentions(post);
  const embedded = new Set<string>();
  const once: MediaContent = (ref) => {
    if (embedded.has(ref.url)) return null;
    embedded.add(ref.url);
    return content(ref);
  };
  const retweetRef = post.referenced_tweets?.find((r) => r.type === 'retweeted');
  const original = retweetRef && inc.post(retweetRef.id);
  const item = baseItem(post, inc, container, once);
  const username = original && (inc.user(original.author_id)?.username ?? retweetedUsername(post) ?? inc.usernameOf(original.author_id));
  if (original) {
    // A retweet has no media of its own; the original's are what the person saw.
    const refs = inc.mediaOf(original);
    const text = `RT @${username ?? original.author_id ?? 'unknown'}: ${fullText(original)}`;
    item.Content = withLines(text, lines(post, original, refs, inc));
    item.MessagePreviewText = previewOf(text);
    item.ContentAttachments = item.ContentAttachments ?? attachments(refs, once);
  }
  const pre: Item[] = [];
  for (const ref of post.referenced_tweets ?? []) {
    const referenced = inc.post(ref.id);
    if (referenced) pre.push(baseItem(referenced, inc, container, once, ref.type === 'retweeted' ? username : undefined));
  }
  for (const id of earlierVersionIds(post)) {
    const version = inc.post(id);
    if (version) pre.push(baseItem(version, inc, container, once));
  }
  item.PreContext = pre.length ? pre : null;
  return item;
}

/** Every post an Item shows: the post, the posts it references and, for an edit's newest version, its earlier versions. */
function postsShown(post: TweetV2, inc: Includes): TweetV2[] {
  const ids = [...(post.referenced_tweets ?? []).map((r) => r.id), ...earlierVersionIds(post)];
  return [post, ...ids.map((id) => inc.post(id)).filter((p): p is TweetV2 => p !== undefined)];
}

/** Media every post of a page (and the posts it shows) carries, for downloading ahead of mapping. */
export function mediaToFetch(post: TweetV2, inc: Includes): MediaRef[] {
  return postsShown(post, inc).flatMap((p) => inc.mediaOf(p));
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
