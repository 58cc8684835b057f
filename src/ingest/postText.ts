import type { PlaceV2, PollV2, TweetEntityUrlV2, TweetV2, TweetWithheldInfoV2 } from 'twitter-api-v2';

/**
 * A post's text as the person saw it, and the lines that say what else they saw (poll, place,
 * withholding…). Pure functions of X's objects: the mapper (./item.ts) decides which post shows what.
 */

/** X escapes exactly these three in `text` and `note_tweet.text`; a person reads them unescaped. */
export function unescapeX(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

type UrlEntity = Pick<TweetEntityUrlV2, 'start' | 'end' | 'url'> & Partial<Pick<TweetEntityUrlV2, 'expanded_url' | 'unwound_url' | 'media_key'>>;

/** A link to the post's own photo or video: X shows the media instead, so the link is dropped. */
function isOwnMedia(u: UrlEntity, postId: string): boolean {
  if (u.media_key) return true;
  const target = u.expanded_url ?? '';
  return new RegExp(`/status/${postId}/(photo|video)/\\d+$`).test(target);
}

/** UTF-16 offset of every code point offset of `text` (and of its end). */
function codePointOffsets(text: string): number[] {
  const offsets: number[] = [];
  let u16 = 0;
  for (const ch of text) {
    offsets.push(u16);
    u16 += ch.length;
  }
  offsets.push(u16);
  return offsets;
}

/**
 * The text with every t.co link replaced by its target (unwound_url, else expanded_url), links to
 * the post's own media dropped, and X's escaping undone. Entity offsets count code points of the
 * text as X serves it (escaped: `&amp;` is five), so the links are replaced before unescaping; an
 * entity whose offsets do not point at its t.co link is found by its link instead.
 */
export function expandLinks(text: string, urls: UrlEntity[] | undefined, postId: string): string {
  if (!urls?.length) return unescapeX(text);
  const at = codePointOffsets(text);
  const parts: { s: string; media?: true }[] = [];
  let cursor = 0;
  for (const u of [...urls].sort((a, b) => a.start - b.start)) {
    let from = at[u.start];
    let to = at[u.end];
    if (from === undefined || to === undefined || from < cursor || text.slice(from, to) !== u.url) {
      const found = u.url ? text.indexOf(u.url, cursor) : -1;
      if (found < 0) continue;
      from = found;
      to = found + u.url.length;
    }
    parts.push({ s: unescapeX(text.slice(cursor, from)) });
    parts.push(isOwnMedia(u, postId) ? { s: '', media: true } : { s: u.unwound_url || u.expanded_url || u.url });
    cursor = to;
  }
  parts.push({ s: unescapeX(text.slice(cursor)) });
  // A media link ends the text: drop it with the space before it, not the person's own spacing elsewhere.
  let end = parts.length;
  let mediaAtEnd = false;
  while (end > 0 && (parts[end - 1]!.media || !parts[end - 1]!.s.trim())) {
    if (parts[end - 1]!.media) mediaAtEnd = true;
    end--;
  }
  if (!mediaAtEnd) return parts.map((p) => p.s).join('');
  return parts
    .slice(0, end)
    .map((p) => p.s)
    .join('')
    .trimEnd();
}

/** The full text (a long post's note_tweet, with its own entities), links expanded, unescaped. */
export function postText(post: TweetV2): string {
  const note = post.note_tweet;
  if (note) return expandLinks(note.text, note.entities?.urls ?? post.entities?.urls, post.id);
  return expandLinks(post.text, post.entities?.urls, post.id);
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** "Poll (closed, ended 2019-11-28T20:26:41.000Z): “C Sharp”: 795 votes; “C Hashtag”: 156 votes" */
export function pollLine(poll: PollV2): string {
  const status = poll.voting_status;
  const when = poll.end_datetime ? `${status === 'open' ? 'ends' : 'ended'} ${poll.end_datetime}` : undefined;
  const head = [status, when].filter(Boolean).join(', ');
  const options = [...(poll.options ?? [])].sort((a, b) => a.position - b.position).map((o) => `${o.label}: ${plural(o.votes, 'vote')}`);
  return `Poll${head ? ` (${head})` : ''}: ${options.join('; ')}`;
}

/** "Place: Manhattan, NY (United States)"; a place X did not return is named by its id. */
export function placeLine(place: PlaceV2 | undefined, placeId: string): string {
  if (!place) return `Place: ${placeId} (X did not return its name)`;
  return `Place: ${place.full_name}${place.country ? ` (${place.country})` : ''}`;
}

/** "Withheld in: DE, FR", and why when X says: the post or the author's account, a copyright claim. */
export function withheldLine(w: Partial<TweetWithheldInfoV2>): string {
  const why: string[] = [];
  if (w.scope === 'tweet') why.push('the post is withheld');
  if (w.scope === 'user') why.push("the author's account is withheld");
  if (w.copyright) why.push('on a copyright claim');
  return `Withheld in: ${(w.country_codes ?? []).join(', ') || 'unspecified countries'}${why.length ? ` (${why.join(', ')})` : ''}`;
}

export type Reference = 'replied_to' | 'quoted' | 'retweeted' | 'edit';

const REFERENCE: Record<Reference, string> = {
  replied_to: 'In reply to post',
  quoted: 'Quoting post',
  retweeted: 'Retweet of post',
  edit: 'Earlier version',
};

/** "In reply to post 506694458445152256, which X no longer serves: Not Found Error" */
export function missingPostLine(kind: Reference, id: string, reason: string): string {
  return `${REFERENCE[kind]} ${id}, which X no longer serves: ${reason}`;
}

/** "Alt text of FeKcHsVaUAEYpU_.jpg: selfie of me with memoji" */
export function altTextLine(fileName: string, altText: string): string {
  return `Alt text of ${fileName}: ${altText}`;
}

/** "Media 3_1576994475507077121, which X did not return" */
export function missingMediaLine(mediaKey: string): string {
  return `Media ${mediaKey}, which X did not return`;
}

/** The text, then each line of what else the person saw, after a blank line; nothing when there is nothing. */
export function withLines(text: string, lines: string[]): string {
  const unique = [...new Set(lines)];
  return unique.length ? `${text}\n\n${unique.join('\n')}` : text;
}
