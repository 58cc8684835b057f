/**
 * X's "archive of your data" as the account holder downloads it, in the layout X's own README
 * in every archive and twitter-archive-parser (timhutton/twitter-archive-parser) describe:
 * data/account.js, data/manifest.js, data/tweets.js (older: tweet.js; large: tweets-part1.js …),
 * note-tweet.js, deleted-tweets.js, direct-messages.js, direct-messages-group.js, media in
 * data/tweets_media/ (older: tweet_media/) and data/direct_messages_media/ as `<id>-<file>`.
 */

export interface ArchiveUrl {
  url: string;
  expanded_url?: string;
  display_url?: string;
  indices?: [string, string] | [number, number];
}

export interface ArchiveMedia {
  id_str: string;
  media_url_https?: string;
  url?: string;
  expanded_url?: string;
  type?: 'photo' | 'video' | 'animated_gif';
  indices?: [string, string];
  video_info?: { variants?: { bitrate?: string | number; content_type?: string; url: string }[] };
  ext_alt_text?: string;
}

/** One post of tweets.js (v1.1-like; numbers are often strings). */
export interface ArchiveTweet {
  id_str: string;
  id?: string;
  created_at: string;
  full_text?: string;
  text?: string;
  in_reply_to_status_id_str?: string | null;
  in_reply_to_user_id_str?: string | null;
  in_reply_to_screen_name?: string | null;
  favorite_count?: string | number;
  retweet_count?: string | number;
  lang?: string;
  entities?: {
    urls?: ArchiveUrl[];
    user_mentions?: { screen_name: string; name?: string; id_str?: string; indices?: [string, string] }[];
    media?: ArchiveMedia[];
  };
  extended_entities?: { media?: ArchiveMedia[] };
  edit_info?: { initial?: { editTweetIds?: string[] }; edit?: { initialTweetId?: string; editControlInitial?: { editTweetIds?: string[] } } };
  deleted_at?: string;
}

/** One long post of note-tweet.js: its full text; the post in tweets.js is cut. */
export interface ArchiveNote {
  noteTweetId: string;
  createdAt: string;
  core: {
    text: string;
    urls?: { shortUrl: string; expandedUrl?: string; displayUrl?: string; fromIndex?: string | number; toIndex?: string | number }[];
    mentions?: { screenName: string; fromIndex?: string | number; toIndex?: string | number }[];
  };
}

export interface ArchiveMessage {
  id: string;
  senderId: string;
  recipientId?: string;
  text?: string;
  createdAt: string;
  mediaUrls?: string[];
  urls?: { url: string; expanded?: string; display?: string }[];
}

/** One conversation of direct-messages.js / direct-messages-group.js. */
export interface ArchiveConversation {
  conversationId: string;
  messages: Record<string, unknown>[];
}

/** What the store keeps of a post (ImportedRecord.data). */
export interface PostData {
  /** The archive's own object, as the file holds it. */
  raw: unknown;
  file: string;
  zip: string;
  note?: ArchiveNote;
  deletedAt?: string;
  /** The zip member of each media object that has one (by media id). */
  media: { mediaId: string; member: string }[];
}

/** What the store keeps of a direct message. */
export interface DmData {
  raw: unknown;
  file: string;
  zip: string;
  conversationId: string;
  group: boolean;
  /** Everyone the conversation names (senders, recipient, who joined). */
  participants: string[];
  media: { url: string; member: string }[];
}

export const FILES = {
  account: /^data\/account\.js$/,
  manifest: /^data\/manifest\.js$/,
  tweets: /^data\/tweets?(-part\d+)?\.js$/,
  notes: /^data\/note-tweet(-part\d+)?\.js$/,
  deleted: /^data\/deleted-tweets?(-part\d+)?\.js$/,
  dms: /^data\/direct-messages?(-part\d+)?\.js$/,
  groupDms: /^data\/direct-messages?-group(-part\d+)?\.js$/,
  media: /^data\/(tweets?_media|deleted_tweets_media|direct_messages?_media|direct_messages?_group_media)\/([^/-]+)-([^/]+)$/,
};

/** An archive's tweet element: `{ tweet: {...} }`, or the post itself in the oldest archives. */
export function tweetOf(element: unknown): ArchiveTweet | undefined {
  const e = element as { tweet?: ArchiveTweet } & Partial<ArchiveTweet>;
  const t = e?.tweet ?? (e as ArchiveTweet);
  return typeof t?.id_str === 'string' && typeof t.created_at === 'string' ? t : undefined;
}

/** "Wed Oct 10 20:19:24 +0000 2018" (or ISO) → ISO 8601. */
export function isoOf(createdAt: string): string | undefined {
  const ms = Date.parse(createdAt);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The file name of a URL's path, without its query ("…/DpOd7GMX4AAQvBo.jpg?x" → "DpOd7GMX4AAQvBo.jpg"). */
export function baseName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
  } catch {
    return undefined;
  }
}
