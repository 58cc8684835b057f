import type { DMEventV2 } from 'twitter-api-v2/dist/esm/types/v2/dm.v2.types';
import { PermanentError } from '../../errors';
import { asPost, mapDirectMessage } from '../dmItem';
import { Includes, ItemBody } from '../item';
import { downloadRefs, skippedFiles } from './postItems';
import type { Source, SourceContext, SourcePage } from './source';

/** X keeps direct messages for 30 days (x-api/direct-messages/lookup/integrate.mdx). */
export const DM_REACH_MS = 30 * 24 * 3600 * 1000;

/** What X's app permissions call the level that covers DMs (developer portal → the app → User authentication settings). */
export const DM_PERMISSION = 'Read and write and Direct message';

function status(err: unknown): number | undefined {
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The account's direct messages sent in the task's window, when the admin turned "Direct
 * messages" on. X has no time filter: pages come newest first and reading stops at the first
 * page that reaches before the window. X keeps 30 days: a window older than that is served as far
 * as X reaches and the task history says so. Without the DM permission X answers 403: that is a
 * note and a flag for the status page, not a failure — the account's posts are still archived.
 */
export const directMessagesSource: Source<DMEventV2> = {
  name: 'directMessages',
  // DM event ids are never post ids.
  disjointIds: true,
  wanted: (ctx) => ctx.choices.directMessages,
  async *pages(ctx: SourceContext): AsyncIterable<SourcePage<DMEventV2>> {
    const start = ctx.window.start.getTime();
    const end = ctx.window.end.getTime();
    const reach = Date.now() - DM_REACH_MS;
    if (start < reach) {
      ctx.notes.add(
        `Direct messages: X keeps only the last 30 days; messages of this window before ${new Date(reach).toISOString()} cannot be served (not a failure).`,
      );
      // Nothing of the window is within reach: no need to ask X at all.
      if (end < reach) return;
    }
    try {
      for await (const page of ctx.x.directMessages()) {
        const data = page.data.filter((e) => {
          const at = new Date(e.created_at ?? 0).getTime();
          return at >= start && at <= end;
        });
        if (data.length) yield { data, includes: page.includes };
        const oldest = page.data[page.data.length - 1];
        if (oldest && new Date(oldest.created_at ?? 0).getTime() < start) break;
      }
    } catch (err) {
      if (!(err instanceof PermanentError && status(err) === 403)) throw err;
      ctx.notes.missingXPermission = DM_PERMISSION;
      ctx.notes.add(
        `Direct messages: X refused them (HTTP 403): give the X app the permission "${DM_PERMISSION}", then sign the job in again. The account's posts were archived.`,
      );
      ctx.log.warn('X refused direct messages: the X app lacks the DM permission');
    }
  },
  async makeItem(event, page, ctx) {
    const inc = new Includes(page.includes);
    const media = await downloadRefs(inc.mediaOf(asPost(event)), ctx);
    const body = new ItemBody();
    const item = mapDirectMessage(event, inc, ctx.container, (ref) => {
      const base64 = media.get(ref.url);
      return base64 === undefined || base64 === null ? null : body.placeholder(base64);
    });
    return { item, body: body.toBuffer(item), skipped: skippedFiles(item, media) };
  },
};
