import type { MessengerItem } from './domain/messenger-item';
import { sessionGroups, type QueuedItem } from './session-groups';

/** An item as `MessengerIngestion.prepare` queues it: its own key, then its contact's. */
const queued = (id: string, visitor: string, more: Partial<MessengerItem> = {}): QueuedItem => {
  const item: MessengerItem = {
    id,
    type: 'event.tracked',
    occurredAt: 1_700_000_000,
    visitorId: visitor,
    eventName: 'clicked',
    ...more,
  };
  return { item, keys: [`item:${id}`, `contact:${visitor}`] };
};

const idsOf = (tasks: QueuedItem[][]) => tasks.map((task) => task.map(({ item }) => item.id));
const nothingBusy = () => false;

describe('sessionGroups: the tasks a batch runs in', () => {
  it("groups each visitor session's items, in batch order, where its first item stands", () => {
    const batch = [queued('a1', 'a'), queued('b1', 'b'), queued('a2', 'a'), queued('b2', 'b')];
    expect(idsOf(sessionGroups(batch, nothingBusy))).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
  });

  it('ends a group at an item of that session that needs identity work: it runs after the group, alone', () => {
    const signUp = queued('a2', 'a', { type: 'contact.signed_up', externalId: 'ada' });
    const batch = [queued('a1', 'a'), signUp, queued('a3', 'a'), queued('a4', 'a')];
    expect(idsOf(sessionGroups(batch, nothingBusy))).toEqual([['a1'], ['a2'], ['a3', 'a4']]);
  });

  it('leaves alone an item whose id the batch repeats, or whose key an earlier batch holds', () => {
    const batch = [queued('a1', 'a'), queued('a2', 'a'), queued('a1', 'a'), queued('a3', 'a')];
    expect(idsOf(sessionGroups(batch, (key) => key === 'item:a3'))).toEqual([
      ['a1'],
      ['a2'],
      ['a1'],
      ['a3'],
    ]);
  });

  it('never groups an item naming a contact_id, an identity or an email supplied', () => {
    const batch = [
      queued('a1', 'a', { contactId: 'c1' }),
      queued('a2', 'a', { email: 'ada@example.com', type: 'email.supplied' }),
      queued('a3', 'a', { externalId: 'ada' }),
    ];
    expect(idsOf(sessionGroups(batch, nothingBusy))).toEqual([['a1'], ['a2'], ['a3']]);
  });
});
