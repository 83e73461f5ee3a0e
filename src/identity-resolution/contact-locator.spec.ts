import { SqliteEventStore } from '../infrastructure/event-store/sqlite/sqlite-event-store';
import { systemClock } from '../shared/clock';
import { handleCommand, loadState } from '../shared/event-sourcing/handle-command';
import { contactDecider } from '../contacts/domain/contact.decider';
import { mergeSourceOf } from '../contacts/domain/contact.state';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import { WrongExpectedRevision } from '../shared/event-store/event-store.errors';
import { contactStreamId } from '../shared/stream-names';
import { appendDecisions } from './contact-decisions';
import { ContactLocator } from './contact-locator';
import { visitorContactId } from './visitor-contact-id';

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

/** A locator over a fresh in-memory store. */
const inMemoryLocator = () => {
  const store = SqliteEventStore.open({ file: ':memory:' });
  return { store, locator: new ContactLocator(store, systemClock) };
};

describe('ContactLocator with the stream state cache', () => {
  let store: SqliteEventStore;
  let locator: ContactLocator;
  beforeEach(() => ({ store, locator } = inMemoryLocator()));
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

/**
 * A merge refused because its user was deleted meanwhile, met between the source's closing and
 * its reopening: the walk ends as it would just after the refusal, on the source open again.
 */
describe('ContactLocator on a contact closed for a user deleted before absorbing it', () => {
  let store: SqliteEventStore;
  let locator: ContactLocator;
  beforeEach(() => ({ store, locator } = inMemoryLocator()));
  afterEach(() => store.close());

  const now = 1_700_000_000;
  const ids = (id: string) => ({ contactId: id, workspaceId });
  const run = (id: string, command: ContactCommand) =>
    handleCommand(store, contactStreamId(workspaceId, id), contactDecider, command, {
      metadata: { workspaceId, occurredAt: now * 1000, schemaVersion: 1 },
    });
  const typesOf = async (id: string) => {
    const types: string[] = [];
    for await (const event of store.readStream(contactStreamId(workspaceId, id)))
      types.push(event.type);
    return types;
  };

  async function closedForDeletedUser(
    source: ContactCommand,
    options: { absorbedFirst?: boolean } = {},
  ): Promise<string> {
    const sourceId = source.data.contactId;
    await run(sourceId, source);
    await run('user', {
      type: 'CreateContact',
      data: { ...ids('user'), attributes: { external_id: 'ext-user' } },
      now,
    });
    // Read (and cached) while open, as a request before the merge leaves it.
    await locator.locate(workspaceId, sourceId);
    await run(sourceId, { type: 'MergeInto', data: { ...ids(sourceId), into: 'user' }, now });
    if (options.absorbedFirst) {
      const { state } = await loadState(
        store,
        contactStreamId(workspaceId, sourceId),
        contactDecider,
      );
      await run('user', {
        type: 'AbsorbMergedLead',
        data: { ...ids('user'), source: mergeSourceOf(state)! },
        now,
      });
    }
    await run('user', { type: 'DeleteContact', data: ids('user'), now });
    return sourceId;
  }
  const lead: ContactCommand = {
    type: 'CreateContact',
    data: { ...ids('lead'), role: 'lead', attributes: { name: 'Ada' } },
    now,
  };

  it('finds the lead open again, reopened once', async () => {
    await closedForDeletedUser(lead);

    const located = await locator.locate(workspaceId, 'lead');
    const again = await locator.locate(workspaceId, 'lead');

    expect(located).toMatchObject({ contactId: 'lead', path: ['lead'] });
    expect(located.state).toMatchObject({ status: 'lead', name: 'Ada' });
    expect(again.state.status).toBe('lead');
    expect(await typesOf('lead')).toEqual([
      'LeadCreated',
      'ContactMergedInto',
      'ContactMergeReverted',
    ]);
  });

  it("finds a messenger visitor's session open again rather than starting the next visitor", async () => {
    const visitorId = visitorContactId(workspaceId, 'anon-9', 0);
    await closedForDeletedUser({
      type: 'RegisterVisitor',
      data: { ...ids(visitorId), userId: 'anon-9' },
      now,
    });

    const session = await locator.locateSession(workspaceId, 'anon-9');

    expect(session).toMatchObject({ contactId: visitorId, state: { status: 'visitor' } });
  });

  it('leaves the merge unsettled for a caller in the queue of the contact it names', async () => {
    await closedForDeletedUser(lead);

    const located = await locator.locate(workspaceId, 'lead', { inQueueOfContact: true });

    expect(located).toMatchObject({ contactId: 'user', state: { status: 'deleted' } });
    expect(await typesOf('lead')).toEqual(['LeadCreated', 'ContactMergedInto']);
  });

  it('finds a lead the user absorbed before its deletion gone with it', async () => {
    await closedForDeletedUser(lead, { absorbedFirst: true });

    const located = await locator.locate(workspaceId, 'lead');

    expect(located).toMatchObject({ contactId: 'user', state: { status: 'deleted' } });
    expect(await typesOf('lead')).toEqual(['LeadCreated', 'ContactMergedInto']);
  });

  it('reads nothing more for a lead the user absorbed before its deletion: the walk tells it', async () => {
    await closedForDeletedUser(lead, { absorbedFirst: true });
    await locator.locate(workspaceId, 'lead');
    const reads = jest.spyOn(store, 'readStream');

    const located = await locator.locate(workspaceId, 'lead');

    expect(located.state.status).toBe('deleted');
    expect(reads).not.toHaveBeenCalled();
  });
});
