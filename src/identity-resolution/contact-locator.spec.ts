import { SqliteEventStore } from '../infrastructure/event-store/sqlite/sqlite-event-store';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import { WrongExpectedRevision } from '../shared/event-store/event-store.errors';
import { contactStreamId } from '../shared/stream-names';
import { appendDecisions } from './contact-decisions';
import { ContactLocator } from './contact-locator';

const workspaceId = 'w1';
const contactId = 'c1';
const metadata = { workspaceId, occurredAt: 0 };
const register: ContactCommand = {
  type: 'RegisterVisitor',
  data: { workspaceId, contactId, userId: 'anon-1' },
  now: 1_700_000_000,
};
const startConversation: ContactCommand = {
  type: 'StartConversation',
  data: { workspaceId, contactId },
  now: 1_700_000_100,
};

describe('ContactLocator with the stream state cache', () => {
  let store: SqliteEventStore;
  let locator: ContactLocator;
  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
    locator = new ContactLocator(store);
  });
  afterEach(() => store.close());

  it('answers from the fold an append left behind, including which event ids it holds', async () => {
    const fresh = await locator.locate(workspaceId, contactId);
    await appendDecisions(store, fresh, [register], { metadata, eventId: () => 'e-register' });
    const reads = jest.spyOn(store, 'readStream');
    const located = await locator.locate(workspaceId, contactId, { eventId: 'e-register' });
    expect(reads).not.toHaveBeenCalled();
    expect(located).toMatchObject({ revision: 0n, containsEvent: true });
    expect(located.state.status).toBe('visitor');
    expect(
      (await locator.locate(workspaceId, contactId, { eventId: 'e-other' })).containsEvent,
    ).toBe(false);
  });

  it('a write elsewhere makes the next append conflict, and the retry reads it', async () => {
    const fresh = await locator.locate(workspaceId, contactId);
    await appendDecisions(store, fresh, [register], { metadata, eventId: () => 'e-register' });
    const cached = await locator.locate(workspaceId, contactId);
    // Behind the cache's back: the event the retry must see.
    await store.append(
      contactStreamId(workspaceId, contactId),
      [{ id: 'e-elsewhere', type: 'ConversationStarted', data: { ...register.data }, metadata }],
      { expectedRevision: 0n },
    );
    await expect(
      appendDecisions(store, cached, [startConversation], { metadata }),
    ).rejects.toBeInstanceOf(WrongExpectedRevision);
    const again = await locator.locate(workspaceId, contactId, { eventId: 'e-elsewhere' });
    expect(again).toMatchObject({ revision: 1n, containsEvent: true });
  });
});
