import type { ApiV2Includes, MediaObjectV2, PlaceV2, PollV2, TweetV2, UserV2 } from 'twitter-api-v2';
import type { XResourceError } from './xPosts';

/** A media object reduced to what is downloaded for it. */
export interface MediaRef {
  mediaKey: string;
  url: string;
  fileName: string;
  altText?: string;
}

/** What is downloaded for a media object: photos by url; video and GIF by the highest-bit-rate mp4, else the preview image. */
function mediaSource(media: MediaObjectV2): { url: string; preview: boolean } | undefined {
  if (media.type === 'photo') return media.url ? { url: media.url, preview: false } : undefined;
  const mp4s = (media.variants ?? []).filter((v) => v.content_type === 'video/mp4' && v.url);
  mp4s.sort((a, b) => (b.bit_rate ?? 0) - (a.bit_rate ?? 0));
  if (mp4s[0]) return { url: mp4s[0].url, preview: false };
  return media.preview_image_url ? { url: media.preview_image_url, preview: true } : undefined;
}

/** Photos by url; video and GIF by the highest-bit-rate mp4, else the preview image. */
export function mediaUrl(media: MediaObjectV2): string | undefined {
  return mediaSource(media)?.url;
}

function extensionOf(url: string): string | undefined {
  try {
    return /\.([A-Za-z0-9]{2,5})$/.exec(new URL(url).pathname)?.[1];
  } catch {
    return undefined;
  }
}

function fileNameFor(media: MediaObjectV2, url: string, preview: boolean): string {
  // A video kept as its still image says so: it is not the video.
  if (preview) return `${media.media_key}-preview.${extensionOf(url) ?? 'jpg'}`;
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

/** Lookups over a page's includes, and what X said of the objects it did not return. */
export class Includes {
  private readonly users = new Map<string, UserV2>();
  private readonly usersByName = new Map<string, UserV2>();
  /** Usernames X gave for ids, in mentions, when the user itself is not in includes. */
  private readonly mentioned = new Map<string, string>();
  private readonly posts = new Map<string, TweetV2>();
  private readonly media = new Map<string, MediaObjectV2>();
  private readonly polls = new Map<string, PollV2>();
  private readonly places = new Map<string, PlaceV2>();
  private readonly missing = new Map<string, XResourceError>();

  constructor(includes: ApiV2Includes, errors: XResourceError[] = []) {
    for (const u of includes.users ?? []) {
      this.users.set(u.id, u);
      this.usersByName.set(u.username.toLowerCase(), u);
    }
    for (const t of includes.tweets ?? []) {
      this.posts.set(t.id, t);
      this.learnMentions(t);
    }
    for (const m of includes.media ?? []) this.media.set(m.media_key, m);
    for (const p of includes.polls ?? []) this.polls.set(p.id, p);
    for (const p of includes.places ?? []) this.places.set(p.id, p);
    for (const e of errors) {
      const id = e.resource_id ?? e.value;
      if (id && (e.resource_type ?? 'tweet') === 'tweet') this.missing.set(id, e);
    }
  }

  /** Mentions name users by id and username even when X leaves the user out of includes. */
  learnMentions(post: TweetV2): void {
    for (const m of [...(post.entities?.mentions ?? []), ...(post.note_tweet?.entities?.mentions ?? [])]) {
      if (m.id && m.username && !this.mentioned.has(m.id)) this.mentioned.set(m.id, m.username);
    }
  }

  user(id: string | undefined): UserV2 | undefined {
    return id === undefined ? undefined : this.users.get(id);
  }

  userNamed(username: string): UserV2 | undefined {
    return this.usersByName.get(username.toLowerCase());
  }

  /** The username X gave for an id, from includes or a mention. */
  usernameOf(id: string | undefined): string | undefined {
    return id === undefined ? undefined : (this.users.get(id)?.username ?? this.mentioned.get(id));
  }

  post(id: string): TweetV2 | undefined {
    return this.posts.get(id);
  }

  poll(id: string): PollV2 | undefined {
    return this.polls.get(id);
  }

  place(id: string): PlaceV2 | undefined {
    return this.places.get(id);
  }

  /** X's reason for a post it named in errors[] (deleted, protected…), else undefined. */
  whyMissing(postId: string): string | undefined {
    const e = this.missing.get(postId);
    return e && (e.title ?? e.detail ?? 'not returned');
  }

  mediaOf(post: TweetV2): MediaRef[] {
    const refs: MediaRef[] = [];
    for (const key of post.attachments?.media_keys ?? []) {
      const m = this.media.get(key);
      const source = m && mediaSource(m);
      if (m && source) refs.push({ mediaKey: key, url: source.url, fileName: fileNameFor(m, source.url, source.preview), ...(m.alt_text ? { altText: m.alt_text } : {}) });
    }
    return refs;
  }

  /** Media keys of the post that X did not return in includes.media. */
  missingMedia(post: TweetV2): string[] {
    return (post.attachments?.media_keys ?? []).filter((key) => !this.media.has(key));
  }
}
