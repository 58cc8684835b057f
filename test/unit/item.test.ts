import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';
import { dayOf, Includes, ItemBody, mapPost, mediaUrl, previewOf, unescapeX, type MediaRef } from '../../src/ingest/item';

const ME = { id: '10', name: 'Contoso', username: 'contoso', profile_image_url: 'https://pbs.twimg.com/p/me.jpg' };
const THEM = { id: '20', name: 'Fabrikam', username: 'fabrikam' };
const container = { id: ME.id, name: ME.name };
const content = (ref: MediaRef) => `b64:${ref.mediaKey}`;

function post(over: Partial<TweetV2> & { id: string }): TweetV2 {
  return { text: 'hello', created_at: '2026-11-10T10:00:00.000Z', author_id: ME.id, conversation_id: over.id, edit_history_tweet_ids: [over.id], ...over } as TweetV2;
}

function map(p: TweetV2, includes: ApiV2Includes = {}) {
  return mapPost(p, new Includes({ users: [ME, THEM], ...includes, tweets: includes.tweets }), container, content);
}

describe('mapping a post to an Item', () => {
  test('plain post: the Item fields the Import service reads', () => {
    const item = map(post({ id: '1', text: 'Hello world', public_metrics: { like_count: 4, retweet_count: 0, reply_count: 0, quote_count: 0, impression_count: 0 } }));
    expect(item).toEqual({
      SchemaVersion: '1.0',
      Id: '1',
      SourceType: 'Twitter',
      ItemType: 'Tweet',
      ContainerId: '10',
      ContainerName: 'Contoso',
      ThreadId: '1',
      ParentId: null,
      Sender: { Id: '10', UserProfilePhotoUrl: 'https://pbs.twimg.com/p/me.jpg', Name: 'Contoso', EmailAddress: null, MobileNumber: null },
      Recipients: [],
      SentTimeUtc: '2026-11-10T10:00:00.000Z',
      ContentType: 1,
      Content: 'Hello world',
      MessagePreviewText: 'Hello world',
      NumOfLikes: 4,
      PreContext: null,
      PostContext: null,
      ContentAttachments: null,
    });
  });

  test('reply to self: thread and parent point at the earlier post, which is the PreContext', () => {
    const first = post({ id: '1', text: 'first' });
    const item = map(post({ id: '2', conversation_id: '1', in_reply_to_user_id: ME.id, referenced_tweets: [{ type: 'replied_to', id: '1' }] }), { tweets: [first] });
    expect(item).toMatchObject({ ThreadId: '1', ParentId: '1' });
    expect(item.PreContext?.map((i) => i.Content)).toEqual(['first']);
  });

  test('reply to others: their post is the PreContext, with its own sender', () => {
    const theirs = post({ id: '5', author_id: THEM.id, text: 'question?' });
    const item = map(post({ id: '6', conversation_id: '5', in_reply_to_user_id: THEM.id, referenced_tweets: [{ type: 'replied_to', id: '5' }] }), { tweets: [theirs] });
    expect(item.ParentId).toBe('5');
    expect(item.PreContext?.[0]?.Sender).toMatchObject({ Id: '20', Name: 'Fabrikam', UserProfilePhotoUrl: null });
  });

  test('reply whose parent X did not expand (deleted): no PreContext, ParentId still set', () => {
    const item = map(post({ id: '6', referenced_tweets: [{ type: 'replied_to', id: '999' }] }));
    expect(item).toMatchObject({ ParentId: '999', PreContext: null });
  });

  test("retweet: the original's full text, not X's truncated RT", () => {
    const original = post({ id: '7', author_id: THEM.id, text: 'short', note_tweet: { text: 'The whole long original text &amp; more' } } as Partial<TweetV2> & { id: string });
    const item = map(post({ id: '8', text: 'RT @fabrikam: The whole long orig…', referenced_tweets: [{ type: 'retweeted', id: '7' }] }), { tweets: [original] });
    expect(item.Content).toBe('RT @fabrikam: The whole long original text & more');
    expect(item.MessagePreviewText).toBe(item.Content);
    expect(item.PreContext?.[0]?.Id).toBe('7');
  });

  test("retweet of a post with a photo carries the original's attachment", () => {
    const original = post({ id: '7', author_id: THEM.id, attachments: { media_keys: ['3_7'] } });
    const item = map(post({ id: '8', referenced_tweets: [{ type: 'retweeted', id: '7' }] }), {
      tweets: [original],
      media: [{ media_key: '3_7', type: 'photo', url: 'https://pbs.twimg.com/media/a.jpg' }],
    });
    expect(item.ContentAttachments).toEqual([{ Content: 'b64:3_7', Uri: 'https://pbs.twimg.com/media/a.jpg', AttachmentType: 'media', AttachmentFileName: 'a.jpg' }]);
  });

  test('quote: own text stays, the quoted post is the PreContext', () => {
    const quoted = post({ id: '3', author_id: THEM.id, text: 'quoted words' });
    const item = map(post({ id: '4', text: 'my take', referenced_tweets: [{ type: 'quoted', id: '3' }] }), { tweets: [quoted] });
    expect(item.Content).toBe('my take');
    expect(item.PreContext?.[0]?.Content).toBe('quoted words');
  });

  test('long post: note_tweet holds the full text', () => {
    const long = `${'x'.repeat(280)} and beyond`;
    const item = map(post({ id: '9', text: `${'x'.repeat(270)}…`, note_tweet: { text: long } } as Partial<TweetV2> & { id: string }));
    expect(item.Content).toBe(long);
    expect(Array.from(item.MessagePreviewText)).toHaveLength(200);
    expect(item.MessagePreviewText.endsWith('…')).toBe(true);
  });

  test('photos: one attachment each, in order, with file names', () => {
    const item = map(post({ id: '11', attachments: { media_keys: ['3_1', '3_2'] } }), {
      media: [
        { media_key: '3_1', type: 'photo', url: 'https://pbs.twimg.com/media/one.jpg' },
        { media_key: '3_2', type: 'photo', url: 'https://pbs.twimg.com/media/two.png' },
      ],
    });
    expect(item.ContentAttachments?.map((a) => [a.Uri, a.AttachmentFileName, a.Content])).toEqual([
      ['https://pbs.twimg.com/media/one.jpg', 'one.jpg', 'b64:3_1'],
      ['https://pbs.twimg.com/media/two.png', 'two.png', 'b64:3_2'],
    ]);
  });

  test('video: the highest-bit-rate mp4 variant, its name without the query string', () => {
    const media = {
      media_key: '7_1',
      type: 'video' as const,
      preview_image_url: 'https://pbs.twimg.com/thumb.jpg',
      variants: [
        { content_type: 'application/x-mpegURL', url: 'https://video.twimg.com/pl.m3u8' },
        { bit_rate: 832000, content_type: 'video/mp4', url: 'https://video.twimg.com/vid/640/mid.mp4?tag=12' },
        { bit_rate: 2176000, content_type: 'video/mp4', url: 'https://video.twimg.com/vid/1280/hi.mp4?tag=12' },
        { bit_rate: 256000, content_type: 'video/mp4', url: 'https://video.twimg.com/vid/320/lo.mp4?tag=12' },
      ],
    };
    expect(mediaUrl(media)).toBe('https://video.twimg.com/vid/1280/hi.mp4?tag=12');
    const item = map(post({ id: '12', attachments: { media_keys: ['7_1'] } }), { media: [media] });
    expect(item.ContentAttachments?.[0]?.AttachmentFileName).toBe('hi.mp4');
  });

  test('GIF: its mp4 variant (bit rate 0); without variants, the preview image', () => {
    expect(mediaUrl({ media_key: 'g', type: 'animated_gif', variants: [{ bit_rate: 0, content_type: 'video/mp4', url: 'https://video.twimg.com/tweet_video/g.mp4' }] })).toBe(
      'https://video.twimg.com/tweet_video/g.mp4',
    );
    expect(mediaUrl({ media_key: 'g', type: 'animated_gif', preview_image_url: 'https://pbs.twimg.com/g.jpg' })).toBe('https://pbs.twimg.com/g.jpg');
  });

  test('edited post: the Item is the latest version, under its own id', () => {
    const item = map(post({ id: '31', text: 'fixed typo', edit_history_tweet_ids: ['30', '31'] }));
    expect(item).toMatchObject({ Id: '31', Content: 'fixed typo', ThreadId: '31' });
  });

  test('emoji and right-to-left text are kept as they are; the preview never cuts a character in half', () => {
    const text = 'שלום 👩‍👩‍👧 مرحبا 🎉';
    expect(map(post({ id: '40', text })).Content).toBe(text);
    const emojis = '😀'.repeat(250);
    const preview = previewOf(emojis);
    expect(Array.from(preview)).toHaveLength(200);
    expect(preview.slice(0, -1)).toBe('😀'.repeat(199));
  });

  test('HTML-special characters: X escapes &, <, >; the Item has them as a person reads them', () => {
    expect(map(post({ id: '41', text: 'Fish &amp; chips &lt;3 &gt;_&lt; &amp;amp;' })).Content).toBe('Fish & chips <3 >_< &amp;');
    expect(unescapeX('&quot;kept&quot;')).toBe('&quot;kept&quot;');
  });

  test('a day is the UTC date of SentTimeUtc', () => {
    expect(dayOf('2026-11-10T23:59:59.999Z')).toBe('2026-11-10');
    expect(dayOf('2026-11-11T00:00:00.000Z')).toBe('2026-11-11');
  });
});

describe('the Item body uploaded', () => {
  const quoted = post({ id: '51', author_id: THEM.id, text: 'theirs', attachments: { media_keys: ['3_51'] } });
  const includes: ApiV2Includes = {
    users: [ME, THEM],
    tweets: [quoted],
    media: [
      { media_key: '3_50', type: 'photo', url: 'https://pbs.twimg.com/media/mine.jpg' },
      { media_key: '3_51', type: 'photo', url: 'https://pbs.twimg.com/media/theirs.jpg' },
    ],
  };
  const quoting = post({ id: '50', text: 'מה קורה? 😀 "quoted" \\ </script>', attachments: { media_keys: ['3_50'] }, referenced_tweets: [{ type: 'quoted', id: '51' }] });
  const base64 = (ref: MediaRef) => Buffer.from(`bytes of ${ref.mediaKey} ${'x'.repeat(3000)}`).toString('base64');

  test("is the same JSON as the Item serialized whole: contents spliced in where each attachment's stands", () => {
    const body = new ItemBody();
    const spliced = mapPost(quoting, new Includes(includes), container, (ref) => body.placeholder(base64(ref)));
    const whole = mapPost(quoting, new Includes(includes), container, base64);
    const bytes = body.toBuffer(spliced);
    expect(bytes.equals(Buffer.from(JSON.stringify(whole), 'utf8'))).toBe(true);
    const parsed = JSON.parse(bytes.toString('utf8'));
    expect(parsed.ContentAttachments[0].Content).toBe(base64({ mediaKey: '3_50' } as MediaRef));
    expect(parsed.PreContext[0].ContentAttachments[0].Content).toBe(base64({ mediaKey: '3_51' } as MediaRef));
    expect(parsed.Content).toBe('מה קורה? 😀 "quoted" \\ </script>');
  });

  test("a placeholder inside a post's text is left as it is; skipped attachments stay null", () => {
    const body = new ItemBody();
    const placeholder = body.placeholder('QUJD');
    // Only a whole JSON string equal to a placeholder is replaced; the tag is random per process,
    // so no post can be exactly one.
    const text = `see "${placeholder}" and ${placeholder}`;
    const item = mapPost(post({ id: '52', text, attachments: { media_keys: ['3_50'] } }), new Includes(includes), container, () => null);
    const parsed = JSON.parse(body.toBuffer(item).toString('utf8'));
    expect(parsed.Content).toBe(text);
    expect(parsed.ContentAttachments[0].Content).toBeNull();
  });

  test('without attachments it is plain UTF-8 JSON', () => {
    const item = map(post({ id: '53', text: 'Fish &amp; chips 😀' }));
    expect(new ItemBody().toBuffer(item).toString('utf8')).toBe(JSON.stringify(item));
  });
});
