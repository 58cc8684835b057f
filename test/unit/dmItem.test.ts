import { dmRecipientIds, mapDirectMessage } from '../../src/ingest/dmItem';
import { Includes } from '../../src/ingest/item';
import { rawObjectsOf } from '../../src/evidence/raw';

const ME = '1500000000000000001';
const OTHER = '2200000000000000002';
const THIRD = '2300000000000000003';
const users = [
  { id: ME, name: 'Contoso News', username: 'contoso' },
  { id: OTHER, name: 'Fabrikam', username: 'fabrikam' },
  { id: THIRD, name: 'Northwind', username: 'northwind' },
];

describe('direct messages', () => {
  test('when X names no participants, then a one-to-one conversation id gives the recipient; a group without them gives none', () => {
    expect(dmRecipientIds({ id: '1', event_type: 'MessageCreate', text: 'x', sender_id: OTHER, dm_conversation_id: `${ME}-${OTHER}` })).toEqual([ME]);
    expect(dmRecipientIds({ id: '1', event_type: 'MessageCreate', text: 'x', sender_id: ME, dm_conversation_id: `${ME}-${OTHER}` })).toEqual([OTHER]);
    expect(dmRecipientIds({ id: '1', event_type: 'MessageCreate', text: 'x', sender_id: ME, dm_conversation_id: '1578398451921985538' })).toEqual([]);
    expect(dmRecipientIds({ id: '1', event_type: 'MessageCreate', text: 'x', sender_id: ME, participant_ids: [ME, OTHER, THIRD] })).toEqual([OTHER, THIRD]);
  });

  test('when a group message shares a post, then the Item names every other participant, unescapes the text and carries the post in PreContext', () => {
    const inc = new Includes({ users, tweets: [{ id: '99', text: 'A shared post', author_id: THIRD, created_at: '2026-11-01T00:00:00.000Z', edit_history_tweet_ids: ['99'] }] });
    const item = mapDirectMessage(
      { id: '7', event_type: 'MessageCreate', text: 'Look &amp; see', sender_id: OTHER, participant_ids: [ME, OTHER, THIRD], dm_conversation_id: '1578398451921985538', created_at: '2026-11-30T06:00:00.000Z', referenced_tweets: [{ type: 'quoted', id: '99' }] },
      inc,
      { id: ME, name: 'Contoso News' },
      () => null,
    );
    expect(item).toMatchObject({ ItemType: 'DirectMessage', Id: '7', ThreadId: '1578398451921985538', Content: 'Look & see', Sender: { Id: OTHER, Name: 'Fabrikam' }, ContentAttachments: null });
    expect(item.Recipients.map((r) => r.Name)).toEqual(['Contoso News', 'Northwind']);
    expect(item.PreContext?.map((p) => [p.Id, p.Content])).toEqual([['99', 'A shared post']]);
  });

  test("when its raw objects are kept for the archive copy, then the sender's and participants' users are among them", () => {
    const raw = rawObjectsOf({ id: '7', event_type: 'MessageCreate', text: 'x', sender_id: OTHER, participant_ids: [ME, OTHER] }, { users });
    expect((raw.includes['users'] as { id: string }[]).map((u) => u.id)).toEqual([ME, OTHER]);
  });
});
