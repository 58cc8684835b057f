/**
 * The benchmark's X account and posts. Generated deterministically (the fake X rebuilds a
 * generated post from its index each time it serves it), so a 200,000-post day costs the
 * parent almost nothing to hold.
 */
import { randomBytes } from 'node:crypto';
import type { FakeX, FakeXPost } from '../test/fakes/xServer';

export const X_APP = { consumerKey: 'bench-consumer-key-0001', consumerSecret: 'bench-consumer-secret-0002' };
export const ACCOUNT = {
  id: '1500000000000000001',
  name: 'Contoso News',
  username: 'contoso',
  profile_image_url: 'https://pbs.twimg.com/profile_images/1/contoso_normal.jpg',
};
export const ACCOUNT_TOKENS = { accessToken: '1500000000000000001-benchaccesstoken', accessSecret: 'bench-access-secret-0003' };
export const AAD_APP = { clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', clientSecret: 'bench-aad-secret-0004' };

/** The six settings as POST /api/Configuration takes them. */
export const SIX_SETTINGS = {
  TwitterApiKeyValue: X_APP.consumerKey,
  TwitterApiSecretKeyValue: X_APP.consumerSecret,
  TwitterAccessTokenValue: 'bench-app-owner-token-0005',
  TwitterAccessTokenSecretValue: 'bench-app-owner-secret-0006',
  AADAppIdValue: AAD_APP.clientId,
  AADAppSecretValue: AAD_APP.clientSecret,
};

const WORDS = (
  'contoso news today update launch team customers cloud archive compliance policy thanks ' +
  'event live join us read more details report quarter results open source community release'
).split(' ');

/** 120–280 characters of text; every 7th has & < > so X's escaping and our unescaping are exercised. */
function textOf(i: number): string {
  const target = 120 + ((i * 37) % 161);
  let s = `#${i} `;
  for (let k = 0; s.length < target; k++) s += `${WORDS[(i * 7 + k * 13) % WORDS.length]} `;
  s = s.slice(0, target).trimEnd();
  return i % 7 === 0 ? `${s} & <more>` : s;
}

export interface DaySet {
  /** YYYY-MM-DD */
  day: string;
  count: number;
  /** ISO window covering the whole UTC day, as the Import service asks for it. */
  start: string;
  end: string;
}

/**
 * Adds `count` posts spread over one UTC day. Ids are 19-digit snowflake-like numbers starting
 * with `prefix` (2 digits), increasing with time, so sets never collide.
 */
export function addDay(x: FakeX, prefix: string, day: string, count: number, extra?: (i: number) => Partial<FakeXPost>): DaySet {
  const dayMs = Date.parse(`${day}T00:00:00.000Z`);
  // Spread over [00:00:00, 23:59:59): EndTime 23:59:59Z is inclusive, so stay before it.
  const spanMs = 86_399_000;
  x.addGeneratedPosts(ACCOUNT.id, count, (i) => ({
    id: `${prefix}${String(i).padStart(17, '0')}`,
    created_at: new Date(dayMs + Math.floor((i * spanMs) / count)).toISOString(),
    text: textOf(i),
    like_count: i % 97,
    ...extra?.(i),
  }));
  return { day, count, start: `${day}T00:00:00Z`, end: `${day}T23:59:59Z` };
}

/** One distinct ~50 KB photo per post, served by the fake X (so ALLOWED_MEDIA_HOSTS is its host). */
export function addPhotoDay(x: FakeX, prefix: string, day: string, count: number, photoBytes = 50 * 1024): DaySet {
  const urls: string[] = [];
  for (let i = 0; i < count; i++) urls.push(x.addMediaFile(`/media/bench/${prefix}-${i}.jpg`, randomBytes(photoBytes), 'image/jpeg'));
  return addDay(x, prefix, day, count, (i) => ({
    media: [{ media_key: `3_${prefix}${i}`, type: 'photo', url: urls[i]!, alt_text: `photo ${i}` }],
  }));
}
