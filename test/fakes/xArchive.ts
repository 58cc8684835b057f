import { createWriteStream } from 'node:fs';
import yazl from 'yazl';

/**
 * Writes an X "archive of your data" zip in X's real layout, as twitter-archive-parser
 * (timhutton/twitter-archive-parser) reads it and the README X puts in every archive describes:
 * data/manifest.js (`window.__THAR_CONFIG = {…}`), data/account.js, data/tweets.js (older
 * archives: tweet.js) and tweets-part1.js …, each `window.YTD.<name>.partN = [ … ]`, with
 * `{ "tweet": {…} }` elements (v1.1-like: id_str, full_text, created_at "Wed Oct 10 20:19:24 +0000
 * 2018", entities with string indices, extended_entities.media, edit_info), note-tweet.js
 * (`noteTweet.core.text`), deleted-tweets.js, direct-messages.js and direct-messages-group.js
 * (`dmConversation { conversationId, messages: [{ messageCreate }] }`) and media as
 * data/tweets_media/<postId>-<file> and data/direct_messages_media/<messageId>-<file>.
 */

const X_EPOCH = 1288834974657n;

/** A snowflake id for a time (X's ids since 2010-11-04), plus a sequence. */
export function snowflake(iso: string, seq = 0): string {
  return (((BigInt(Date.parse(iso)) - X_EPOCH) << 22n) + BigInt(seq)).toString();
}

/** "Wed Oct 10 20:19:24 +0000 2018", as the archive writes created_at. */
export function archiveDate(iso: string): string {
  // toUTCString: "Wed, 10 Oct 2018 20:19:24 GMT"
  const [wd, day, mon, year, time] = new Date(iso).toUTCString().replace(',', '').split(' ');
  return `${wd} ${mon} ${day} ${time} +0000 ${year}`;
}

export interface ArchiveFiles {
  [member: string]: string | Buffer;
}

/** `window.YTD.<name>.partN = ` and the array, pretty-printed as X writes it. */
export function ytd(name: string, part: number, elements: unknown[]): string {
  return `window.YTD.${name}.part${part} = ${JSON.stringify(elements, null, 2)}`;
}

export function account(id: string, username: string): string {
  return ytd('account', 0, [{ account: { email: `${username}@example.com`, createdVia: 'web', username, accountId: id, createdAt: '2012-01-01T00:00:00.000Z', accountDisplayName: username } }]);
}

export function manifest(id: string, username: string): string {
  return `window.__THAR_CONFIG = ${JSON.stringify({ userInfo: { accountId: id, userName: username, displayName: username }, archiveInfo: { sizeBytes: '1000', generationDate: '2026-11-01T00:00:00.000Z', isPartialArchive: false }, dataTypes: { tweets: { files: [{ fileName: 'data/tweets.js', globalName: 'YTD.tweets.part0', count: '1' }] } } }, null, 2)}`;
}

export function writeArchive(path: string, files: ArchiveFiles): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    zip.outputStream.pipe(out).on('finish', () => resolve()).on('error', reject);
  });
}
