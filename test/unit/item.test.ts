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

describe('the Content as the person saw it', () => {
  const url = (start: number, u: string, target: Partial<{ expanded_url: string; unwound_url: string; media_key: string }>) => ({
    start,
    end: start + u.length,
    url: u,
    display_url: 'shown',
    expanded_url: target.expanded_url ?? '',
    unwound_url: target.unwound_url ?? '',
    ...(target.media_key ? { media_key: target.media_key } : {}),
  });

  test('a long post: note_tweet.text with its own entities, whose offsets are in the note', () => {
    // X's `text` is cut with a link to the whole post; note_tweet holds it, entities counted on it.
    const note = `${'word '.repeat(60)}see https://t.co/LONG &amp; more`;
    const item = map(
      post({
        id: '60',
        text: `${'word '.repeat(50)}… https://t.co/SHOW`,
        entities: { urls: [url(252, 'https://t.co/SHOW', { expanded_url: 'https://twitter.com/i/web/status/60' })] },
        note_tweet: { text: note, entities: { urls: [url(304, 'https://t.co/LONG', { expanded_url: 'https://example.org/x', unwound_url: 'https://example.org/final' })] } },
      } as Partial<TweetV2> & { id: string }),
    );
    expect(item.Content).toBe(`${'word '.repeat(60)}see https://example.org/final & more`);
  });

  test('a link X gave no unwound_url for is its expanded_url; one whose offsets do not point at it is found by its t.co link', () => {
    const text = '😀😀 a https://t.co/AAA b https://t.co/BBB';
    const item = map(
      post({
        id: '61',
        text,
        entities: { urls: [url(5, 'https://t.co/AAA', { expanded_url: 'https://a.example/' }), url(99, 'https://t.co/BBB', { expanded_url: 'https://b.example/' })] },
      } as Partial<TweetV2> & { id: string }),
    );
    expect(item.Content).toBe('😀😀 a https://a.example/ b https://b.example/');
  });

  test("a quote's link to the quoted post stays (as its target); a link to the post's own photo, without media_key, is dropped", () => {
    const text = 'look https://t.co/QQ https://t.co/PP';
    const item = map(
      post({
        id: '62',
        text,
        referenced_tweets: [{ type: 'quoted', id: '63' }],
        entities: {
          urls: [url(5, 'https://t.co/QQ', { expanded_url: 'https://twitter.com/fabrikam/status/63' }), url(21, 'https://t.co/PP', { expanded_url: 'https://twitter.com/contoso/status/62/photo/1' })],
        },
      } as Partial<TweetV2> & { id: string }),
    );
    expect(item.Content).toBe('look https://twitter.com/fabrikam/status/63');
  });

  test('withholding says where and why: the post, the account, a copyright claim', () => {
    const withheld = (w: object) => map(post({ id: '64', text: 'x', withheld: w } as Partial<TweetV2> & { id: string })).Content;
    expect(withheld({ copyright: true, country_codes: ['XY'], scope: 'tweet' })).toBe('x\n\nWithheld in: XY (the post is withheld, on a copyright claim)');
    expect(withheld({ copyright: false, country_codes: ['IN'], scope: 'user' })).toBe("x\n\nWithheld in: IN (the author's account is withheld)");
  });

  test('a place X did not return is named by its id; a poll option with one vote says "1 vote"', () => {
    const item = map(post({ id: '65', text: 'Q?', geo: { place_id: '01a9a39529b27f36' }, attachments: { poll_ids: ['p1'] } } as Partial<TweetV2> & { id: string }), {
      polls: [{ id: 'p1', options: [{ position: 2, label: 'No', votes: 0 }, { position: 1, label: 'Yes', votes: 1 }], voting_status: 'open' }],
    });
    expect(item.Content).toBe('Q?\n\nPoll (open): Yes: 1 vote; No: 0 votes\nPlace: 01a9a39529b27f36 (X did not return its name)');
  });

  test('a video with no mp4 variant is kept as its preview image under a name that says so', () => {
    const item = map(post({ id: '66', attachments: { media_keys: ['7_66'] } }), {
      media: [{ media_key: '7_66', type: 'video', preview_image_url: 'https://pbs.twimg.com/ext_tw_video_thumb/66/pu/img/still.png' }],
    });
    expect(item.ContentAttachments?.[0]).toMatchObject({ Uri: 'https://pbs.twimg.com/ext_tw_video_thumb/66/pu/img/still.png', AttachmentFileName: '7_66-preview.png' });
  });

  test('a retweet X gave without its original: its own text, links expanded, "RT @user:" as X wrote it; a referenced post named in errors is said', () => {
    const item = mapPost(
      post({ id: '67', text: 'RT @fabrikam: gone &amp; https://t.co/G…', entities: { urls: [url(25, 'https://t.co/G', { expanded_url: 'https://g.example/' })] }, referenced_tweets: [{ type: 'retweeted', id: '68' }] } as Partial<TweetV2> & {
        id: string;
      }),
      new Includes({ users: [ME] }, [{ resource_id: '68', resource_type: 'tweet', title: 'Not Found Error', type: 'https://api.twitter.com/2/problems/resource-not-found' }]),
      container,
      content,
    );
    expect(item.Content).toBe('RT @fabrikam: gone & https://g.example/…\n\nRetweet of post 68, which X no longer serves: Not Found Error');
  });

  test("a retweet whose original's author is known only by a mention's id: the marker and the Sender use that username", () => {
    const original = post({ id: '70', author_id: '77', text: 'original words' });
    const retweet = post({ id: '71', text: 'original words', entities: { mentions: [{ start: 0, end: 0, username: 'someone', id: '77' }] }, referenced_tweets: [{ type: 'retweeted', id: '70' }] } as Partial<TweetV2> & {
      id: string;
    });
    const item = map(retweet, { tweets: [original] });
    expect(item.Content).toBe('RT @someone: original words');
    expect(item.PreContext?.[0]?.Sender).toMatchObject({ Id: '77', Name: 'someone' });
  });

  test("the account's own post whose author X left out is the account's, by name", () => {
    const item = mapPost(post({ id: '72' }), new Includes({}), container, content);
    expect(item.Sender).toMatchObject({ Id: ME.id, Name: ME.name });
  });

  test('an edited post: its newest version carries the earlier ones after what it references, oldest first; each file embedded once', () => {
    const chain = ['80', '81', '82'];
    const photo = { media_key: '3_80', type: 'photo' as const, url: 'https://pbs.twimg.com/media/same.jpg' };
    const v = (id: string, minute: number, text: string) =>
      post({ id, text, created_at: `2026-11-10T10:0${minute}:00.000Z`, edit_history_tweet_ids: chain, attachments: { media_keys: ['3_80'] }, referenced_tweets: [{ type: 'replied_to', id: '79' }] });
    const parent = post({ id: '79', author_id: THEM.id, text: 'question' });
    const item = map(v('82', 9, 'third'), { tweets: [parent, v('81', 5, 'second'), v('80', 1, 'first'), v('82', 9, 'third')], media: [photo] });
    expect(item.PreContext?.map((p) => [p.Id, p.Content, p.SentTimeUtc])).toEqual([
      ['79', 'question', '2026-11-10T10:00:00.000Z'],
      ['80', 'first', '2026-11-10T10:01:00.000Z'],
      ['81', 'second', '2026-11-10T10:05:00.000Z'],
    ]);
    expect(item.ContentAttachments?.map((a) => a.Content)).toEqual(['b64:3_80']);
    for (const earlier of item.PreContext!.slice(1)) expect(earlier.ContentAttachments).toEqual([{ Content: null, Uri: photo.url, AttachmentType: 'media', AttachmentFileName: 'same.jpg' }]);
    // An earlier version, mapped on its own, carries no versions.
    const first = map(v('80', 1, 'first'), { tweets: [parent, v('81', 5, 'second'), v('82', 9, 'third')], media: [photo] });
    expect(first.PreContext?.map((p) => p.Id)).toEqual(['79']);
    expect(first.ContentAttachments?.[0]?.Content).toBe('b64:3_80');
  });

  test('an earlier version X names in errors is said in the newest', () => {
    const item = mapPost(post({ id: '91', text: 'now', edit_history_tweet_ids: ['90', '91'] }), new Includes({ users: [ME] }, [{ resource_id: '90', title: 'Not Found Error' }]), container, content);
    expect(item.Content).toBe('now\n\nEarlier version 90, which X no longer serves: Not Found Error');
  });
});
