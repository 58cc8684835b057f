/**
 * Real, published X API v2 responses (test/fixtures/x, each with its source) mapped to Items:
 * the Content a person reads, exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';
import { Includes, mapPost, type Item, type MediaRef } from '../../src/ingest/item';
import type { XResourceError } from '../../src/ingest/xPosts';

interface Fixture {
  _source: { repo: string; commit: string; path: string };
  data: TweetV2[];
  includes?: ApiV2Includes;
  errors?: XResourceError[];
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/x', name), 'utf8')) as Fixture;
}

/** The organization's account is none of these authors: the Sender comes from what X says. */
const CONTAINER = { id: '999', name: 'Contoso' };

function mapped(name: string, index = 0): Item {
  const fx = fixture(name);
  return mapPost(fx.data[index]!, new Includes(fx.includes ?? {}, fx.errors), CONTAINER, (ref: MediaRef) => `b64:${ref.mediaKey}`);
}

const people = (item: Item) => item.Recipients.map((r) => [r.Id, r.Name]);

describe('real X responses, mapped as a person saw them', () => {
  test('every fixture names where it came from', () => {
    for (const name of ['docs-link-media-reply.json', 'twarc-edited.json', 'onchainsummer-astral-escaped.json']) {
      const { _source } = fixture(name);
      expect(_source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(_source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(_source.path).toBeTruthy();
    }
  });

  test("X's documentation: the link to the post's own media is dropped, the media X did not return is named, the parent's link is its unwound_url", () => {
    const item = mapped('docs-link-media-reply.json');
    expect(item.Content).toBe(
      'We believe the best future version of our API will come from building it with YOU. Here’s to another great year with everyone who builds on the Twitter platform. We can’t wait to continue working with you in the new year.\n\nMedia 16_1211797899316740096, which X did not return',
    );
    // No user was expanded: the Sender is named by the id X gave, never "Anonymous".
    expect(item.Sender).toMatchObject({ Id: '2244994945', Name: '2244994945' });
    expect(item.ParentId).toBe('1212092627178287104');
    expect(item.PreContext?.map((p) => p.Content)).toEqual([
      'These launches would not be possible without the feedback you provided along the way, so THANK YOU to everyone who has contributed your time and ideas. Have more feedback? Let us know ⬇️ https://devcommunity.x.com/t/updates-on-our-feedback-channels/169706',
    ]);
    expect(item.ContentAttachments).toBeNull();
  });

  test("X's documentation: a poll, each option with its votes, its status and end time", () => {
    expect(mapped('docs-poll.json').Content).toBe('C#\n\nPoll (closed, ended 2019-11-28T20:26:41.000Z): “C Sharp”: 795 votes; “C Hashtag”: 156 votes');
  });

  test("X's documentation: a place; without entities (not asked for) the t.co link is left as X gave it", () => {
    expect(mapped('docs-place.json').Content).toBe(
      'We’re sharing a live demo of the new Twitter Developer Labs program, led by a member of our DevRel team, @jessicagarson #TapIntoTwitter https://t.co/ghv7f4dW5M\n\nPlace: Manhattan, NY (United States)',
    );
  });

  test('a reply with a place, an unwound link, mentions and an escaped &amp;: Recipients are the users replied to and mentioned', () => {
    const item = mapped('twarc-place-links-mentions.json');
    expect(item.Content).toBe(
      "@j2bryson @Twitter Most tweets don't have location anymore - and the ones that do, would have a \"Place\" not exact coordinates, like this one, from Berlin, which can be manually set. In the v2 Academic Access you need to specify Fields & Expansions, twarc does it for you: https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/\n\nPlace: Berlin, Germany (Germany)",
    );
    expect(item.Sender).toMatchObject({ Id: '495430242', Name: 'Igor Brigadir 🇺🇦' });
    // The replied-to user is also the first mention: listed once.
    expect(people(item)).toEqual([
      ['2919151', 'Joanna J Bryson'],
      ['783214', 'Twitter'],
    ]);
    expect(item.Recipients[0]!.UserProfilePhotoUrl).toBe('https://pbs.twimg.com/profile_images/1451858228216750082/HijV4uyU_normal.jpg');
  });

  test("X's entity offsets count code points of the text as X serves it (escaped), checked on a real post", () => {
    const post = fixture('onchainsummer-astral-escaped.json').data[0]!;
    const cps = Array.from(post.text);
    const at = (e: { start: number; end: number }) => cps.slice(e.start, e.end).join('');
    expect(post.entities!.mentions.map(at)).toEqual(['@BuildOnBase']);
    expect(post.entities!.hashtags.map(at)).toEqual(['#OnchainSummer']);
    expect(post.entities!.urls.map(at)).toEqual(['https://t.co/9uiC4CEXyC', 'https://t.co/mOnIcCfX8Q']);
    // In UTF-16 units, or in the unescaped text, the same offsets point elsewhere.
    expect(post.text.slice(post.entities!.mentions[0]!.start, post.entities!.mentions[0]!.end)).not.toBe('@BuildOnBase');
  });

  test('astral characters and escaped &gt; &amp; before the links: links replaced in place, the media link dropped, its alt text named by file', () => {
    const item = mapped('onchainsummer-astral-escaped.json');
    expect(item.Content).toBe(
      "🌻🌼🌸🌼🌼\n🌸𝚘𝚗𝚌𝚑𝚊𝚒𝚗🌼\n🌸𝚜𝚞𝚖𝚖𝚎𝚛  🌼\n🌸𝚏𝚕𝚘𝚠𝚎𝚛𝚜🌼\n🌸💮🌻🌼🌼\n\nhttps://mint.fun/base/0x586167019Ff733a069c1001d50FA4f5C0313CB6F\n\n> inspired by gardens & nature\n> open edition, 0.001 Ξ @BuildOnBase \n> 100% onchain generative art + animation\n> minter's 0x used to seed flower engine\n\n🐸🫴🌻 #OnchainSummer\n\nAlt text of F3qksqHaIAAp_xh.jpg: onchain generative animated flower examples",
    );
    expect(people(item)).toEqual([['1628067904083181570', 'Base 🛡️']]);
    expect(item.ContentAttachments).toEqual([
      { Content: 'b64:3_1691845697157603328', Uri: 'https://pbs.twimg.com/media/F3qksqHaIAAp_xh.jpg', AttachmentType: 'media', AttachmentFileName: 'F3qksqHaIAAp_xh.jpg' },
    ]);
  });

  test('a post withheld in DE and FR says where', () => {
    expect(mapped('twarc-withheld-de-fr.json').Content).toBe(
      'Israelis like to build. Arabs like to bomb crap and live in open sewage. This is not a difficult issue. #settlementsrock\n\nWithheld in: DE, FR',
    );
  });

  test('a reply to a post X no longer serves names it and X\'s reason; the withheld user replied to and the user mentioned are the Recipients', () => {
    const item = mapped('twarc-reply-to-deleted.json');
    expect(item.Content).toBe(
      '@ru_yarosh @Barsyaka1 Отлично, этот твит будет служить хорошим доказательством оккупации Россией Украины.\n\nIn reply to post 506694458445152256, which X no longer serves: Not Found Error',
    );
    expect(item).toMatchObject({ ParentId: '506694458445152256', ThreadId: '506694458445152256', PreContext: null });
    // The mention carries only a username; its id and name come from includes.users.
    expect(people(item)).toEqual([
      ['1272921762', 'Withheld account'],
      ['318836595', 'Андрей Филин'],
    ]);
  });

  test('a reply to a post X does not serve to this reader (Authorization Error) says so', () => {
    expect(mapped('twarc-reply-to-protected.json').Content).toBe(
      '@Pedrinhu_Bebado Não é que elegeram ela... não se vota em primeiro ministro. o partido ou coligação escolhe. Como o partido dela era o mais forte em intenção de voto o Berlusconi e o Salvini aceitaram.....🤷🤷🤷\n\nIn reply to post 1574182828933365760, which X no longer serves: Authorization Error',
    );
  });

  test("a retweet whose original's author X left out: the marker comes from the retweet's text, nobody is Anonymous", () => {
    const item = mapped('twarc-retweet-author-left-out.json');
    const original =
      '#EndChildLabour\n@derasachasauda is a social welfare & spiritual organization that preaches and practices humanitarianism and selfless services to others. \nMany welfare activities are performed by the organisation. Like Self-Reliance \n@Gurmeetramrahim ❤️';
    expect(item.Content).toBe(`RT @___Ni_sha___: ${original}\n\nMedia 3_1403542557787779072, which X did not return`);
    expect(item.MessagePreviewText.startsWith('RT @___Ni_sha___: #EndChildLabour @derasachasauda')).toBe(true);
    // The retweeter is not in includes either: named by its id.
    expect(item.Sender).toMatchObject({ Id: '1228027987439702016', Name: '1228027987439702016' });
    expect(item.PreContext?.[0]).toMatchObject({ Id: '1403542567149469697', Sender: { Id: '1215560279628451841', Name: '___Ni_sha___' } });
    // A withheld account's name is "" at X: its username stands in.
    expect(people(item)).toEqual([
      [null, '___Ni_sha___'],
      ['82613482', 'derasachasauda'],
    ]);
  });

  test("a retweet of a poll: RT @user, the original's full text, and the poll", () => {
    const item = mapped('twarc-retweet-poll.json');
    expect(item.Content).toBe(
      'RT @PoliticsPollss: Boris Johnson has refused to commit to securing a UK-US free trade deal by the next general election.(2024) Do you expect Boris Johnson to get the trade deal by 2024? #Brexit #USA #BorisJohnson #Politics\n\nPoll (open, ends 2021-09-22T18:27:34.000Z): Yes I do: 60 votes; No I don’t: 185 votes; Don’t know: 24 votes',
    );
    expect(item.PreContext?.[0]?.Sender.Name).toBe('Politics Polls');
  });

  test('a retweet of a video without an mp4 variant: its preview image, named so, embedded once', () => {
    const item = mapped('twarc-retweet-video.json');
    expect(item.Content).toBe('RT @dianabuttu: Happening now in Al Aqsa. Tear gas being sprayed choking Palestinians.');
    const preview = 'https://pbs.twimg.com/ext_tw_video_thumb/1391634485289132032/pu/img/rpDw6jysSIknlxPM.jpg';
    expect(item.ContentAttachments).toEqual([{ Content: 'b64:7_1391634485289132032', Uri: preview, AttachmentType: 'media', AttachmentFileName: '7_1391634485289132032-preview.jpg' }]);
    // The original in PreContext lists the same file by its Uri only.
    expect(item.PreContext?.[0]?.ContentAttachments).toEqual([{ Content: null, Uri: preview, AttachmentType: 'media', AttachmentFileName: '7_1391634485289132032-preview.jpg' }]);
  });

  test('an edited post asked for by its newest id: the earlier version is its PreContext, with the media X did not expand for it named', () => {
    const item = mapped('twarc-edited.json');
    expect(item).toMatchObject({ Id: '1576994789110992896', ThreadId: '1576994789110992896', SentTimeUtc: '2022-10-03T17:57:11.000Z' });
    // A long post's `text` ends in X's link to the whole of it (note_tweet was not asked for here).
    expect(item.Content).toBe('hey :) https://twitter.com/i/web/status/1576994789110992896');
    expect(item.PreContext).toHaveLength(1);
    expect(item.PreContext![0]).toMatchObject({
      Id: '1576994746135764992',
      ThreadId: '1576994746135764992',
      SentTimeUtc: '2022-10-03T17:57:01.000Z',
      Sender: { Name: 'Jane Manchun Wong' },
      Content: 'i miss y’all so much haha,,, https://twitter.com/i/web/status/1576994746135764992\n\nMedia 3_1576994475507077121, which X did not return',
    });
  });

  test('the first version of the same chain, asked for by its id: its photo and alt text; an earlier version carries no other versions', () => {
    const item = mapped('twarc-edited-first-version.json');
    expect(item.Content).toBe('i miss y’all so much haha,,, https://twitter.com/i/web/status/1576994746135764992\n\nAlt text of FeKcHsVaUAEYpU_.jpg: selfie of me with memoji');
    expect(item.PreContext).toBeNull();
    expect(item.ContentAttachments?.map((a) => a.AttachmentFileName)).toEqual(['FeKcHsVaUAEYpU_.jpg']);
  });
});
