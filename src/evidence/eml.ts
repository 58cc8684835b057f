import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Item, ItemUser } from '../ingest/item';

/** No mail is ever sent: addresses only name X accounts, on a domain that cannot exist (RFC 2606). */
const DOMAIN = 'x-archive.invalid';

export const messageIdOf = (itemId: string): string => `<${itemId}@${DOMAIN}>`;

function address(user: ItemUser, username: string | undefined): { name: string; address: string } {
  const handle = username ? ` (@${username})` : '';
  return { name: `${user.Name}${handle}`, address: `${(username ?? user.Id ?? 'unknown').replace(/[^A-Za-z0-9._-]/g, '_')}@${DOMAIN}` };
}

export interface EmlInput {
  /** The Item as uploaded (attachments with their base64 Content). */
  item: Item;
  /** Usernames by X user id, for "Name (@username)". */
  usernames: Map<string, string>;
}

/**
 * The Item as an RFC 5322 message (nodemailer's MailComposer), so the record opens in any mail
 * client or eDiscovery tool: From the sender, To the recipients, Date the SentTimeUtc, the
 * Message-ID from the item id, In-Reply-To/References from the thread, the text as the body and
 * the media as attachments. The same Item always gives the same bytes (fixed boundary, no
 * generated header), so archiving it again is a no-op.
 */
export async function buildEml({ item, usernames }: EmlInput): Promise<Buffer> {
  const references = [...new Set([item.ThreadId, item.ParentId].filter((id): id is string => !!id && id !== item.Id))];
  const attachments = (item.ContentAttachments ?? [])
    .filter((a) => a.Content)
    .map((a) => ({ filename: a.AttachmentFileName, content: Buffer.from(a.Content!, 'base64') }));
  const composer = new MailComposer({
    from: address(item.Sender, item.Sender.Id ? usernames.get(item.Sender.Id) : undefined),
    to: item.Recipients.map((r) => address(r, r.Id ? usernames.get(r.Id) : undefined)),
    subject: item.MessagePreviewText || `${item.ItemType} ${item.Id}`,
    date: new Date(item.SentTimeUtc),
    messageId: messageIdOf(item.Id),
    ...(item.ParentId ? { inReplyTo: messageIdOf(item.ParentId) } : {}),
    ...(references.length ? { references: references.map(messageIdOf) } : {}),
    text: item.Content,
    attachments,
    headers: {
      'X-Archive-Item-Id': item.Id,
      'X-Archive-Item-Type': item.ItemType,
      'X-Archive-Source': `https://x.com/i/status/${item.Id.replace(/-deleted$/, '')}`,
    },
    baseBoundary: createHash('sha256').update(item.Id).digest('hex').slice(0, 16),
  });
  return composer.compile().build();
}
