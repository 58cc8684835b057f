import { z } from 'zod';
import { InvalidInputError, NotConfiguredError } from '../errors';
import type { SettingKey, Settings, Store } from '../store/types';
import type { AppCredentials } from '../x/xClient';

/** Wire names of the six settings (the sample's PascalCase "…Value" keys) and their labels. */
export const SETTING_FIELDS: readonly { wire: string; key: SettingKey; label: string; from: string }[] = [
  { wire: 'TwitterApiKeyValue', key: 'TwitterApiKey', label: 'Twitter Api Key', from: 'X developer portal → your app → Keys and tokens → Consumer Keys → API Key.' },
  { wire: 'TwitterApiSecretKeyValue', key: 'TwitterApiSecretKey', label: 'Twitter Api Secret Key', from: 'X developer portal → your app → Keys and tokens → Consumer Keys → API Key Secret.' },
  { wire: 'TwitterAccessTokenValue', key: 'TwitterAccessToken', label: 'Twitter Access Token', from: 'X developer portal → your app → Keys and tokens → Access Token and Secret → Access Token.' },
  { wire: 'TwitterAccessTokenSecretValue', key: 'TwitterAccessTokenSecret', label: 'Twitter Access Token Secret', from: 'X developer portal → your app → Keys and tokens → Access Token and Secret → Access Token Secret.' },
  { wire: 'AADAppIdValue', key: 'AADAppId', label: 'AAD Application ID', from: 'Entra admin center → App registrations → the app → Overview → Application (client) ID.' },
  { wire: 'AADAppSecretValue', key: 'AADAppSecret', label: 'AAD Application Secret', from: "Entra admin center → App registrations → the app → Certificates & secrets → a client secret's Value (shown once, when it is created)." },
];

/**
 * What to archive besides the account's own posts (always on): the keys of GET/POST
 * /api/Configuration next to the six secrets, JSON booleans shown as they are (not secrets), off
 * until turned on. The store keeps them as 'true'/'false' with the other settings.
 */
export const ARCHIVE_OPTIONS: readonly { wire: 'ArchiveMentionsValue' | 'ArchiveDirectMessagesValue'; key: SettingKey }[] = [
  { wire: 'ArchiveMentionsValue', key: 'ArchiveMentions' },
  { wire: 'ArchiveDirectMessagesValue', key: 'ArchiveDirectMessages' },
];

/** Which optional sources the admin turned on. */
export interface ArchiveChoices {
  mentions: boolean;
  directMessages: boolean;
}

export function archiveChoices(settings: Settings): ArchiveChoices {
  return { mentions: settings.ArchiveMentions === 'true', directMessages: settings.ArchiveDirectMessages === 'true' };
}

const MASK_PREFIX = '********';

/** Never the stored value: a fixed-width mask plus at most the last 4 characters (fewer for short values). */
export function mask(value: string | undefined): string {
  if (!value) return '';
  const shown = value.length >= 12 ? 4 : value.length >= 8 ? 2 : 0;
  return MASK_PREFIX + (shown ? value.slice(-shown) : '');
}

/** GET /api/Configuration: the six secrets masked, the archive options as booleans. */
export function maskedSettings(settings: Settings): Record<string, string | boolean> {
  const choices = archiveChoices(settings);
  return {
    ...Object.fromEntries(SETTING_FIELDS.map((f) => [f.wire, mask(settings[f.key])])),
    ArchiveMentionsValue: choices.mentions,
    ArchiveDirectMessagesValue: choices.directMessages,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^[\x21-\x7e]{1,512}$/;

const fieldValue = z.union([z.string(), z.null()]).optional();
const optionValue = z.boolean({ message: 'expected true or false (a JSON boolean)' }).optional();
const postSchema = z.strictObject({
  ...Object.fromEntries(SETTING_FIELDS.map((f) => [f.wire, fieldValue])),
  ...Object.fromEntries(ARCHIVE_OPTIONS.map((o) => [o.wire, optionValue])),
});

/**
 * Turns a POST /api/Configuration body into the settings to change. Missing, null or "" keeps
 * the stored value (as the sample did); so does a value equal to the mask we showed.
 */
export function settingsPatch(body: unknown, stored: Settings): Settings {
  const parsed = postSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    const hint = issue.code === 'unrecognized_keys' ? ` (expected only ${[...SETTING_FIELDS, ...ARCHIVE_OPTIONS].map((f) => f.wire).join(', ')})` : '';
    throw new InvalidInputError(`Invalid configuration body: ${where}${issue.message}${hint}`);
  }
  const patch: Settings = {};
  for (const f of SETTING_FIELDS) {
    const raw = parsed.data[f.wire] as string | null | undefined;
    if (raw === undefined || raw === null) continue;
    const value = raw.trim();
    if (value === '' || value === mask(stored[f.key])) continue;
    if (f.key === 'AADAppId' ? !GUID.test(value) : !TOKEN.test(value)) {
      throw new InvalidInputError(
        f.key === 'AADAppId'
          ? `${f.wire}: the AAD Application ID is a GUID such as 00000000-0000-0000-0000-000000000000`
          : `${f.wire}: expected 1 to 512 printable characters without spaces`,
      );
    }
    patch[f.key] = value;
  }
  // Absent keeps the stored choice; true or false sets it.
  for (const o of ARCHIVE_OPTIONS) {
    const on = parsed.data[o.wire] as boolean | undefined;
    if (on !== undefined) patch[o.key] = on ? 'true' : 'false';
  }
  return patch;
}

export function missingSettings(settings: Settings): string[] {
  return SETTING_FIELDS.filter((f) => !settings[f.key]).map((f) => f.label);
}

/** The X app's consumer keys, or a clear 409 naming what to configure. */
export async function xAppCredentials(store: Store): Promise<AppCredentials> {
  const s = await store.getSettings();
  if (!s.TwitterApiKey || !s.TwitterApiSecretKey) {
    throw new NotConfiguredError(
      'The X app is not configured: open the Configure page and enter the Twitter Api Key and Twitter Api Secret Key',
    );
  }
  return { appKey: s.TwitterApiKey, appSecret: s.TwitterApiSecretKey };
}
