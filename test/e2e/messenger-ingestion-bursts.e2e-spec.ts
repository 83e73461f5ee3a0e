import { randomUUID } from 'node:crypto';
import { completionIdOf } from '../../src/messenger/ingestion-records';
import {
  EVENT_STORE,
  type EventStore,
  type RecordedEvent,
} from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventCountOf, ingestBatch, type IngestionResultJson } from '../support/messenger-batches';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * One visitor's burst: the items of a batch that one visitor session sends, and that need no
 * identity work, are decided one after another on the contact and written in one append, with
 * the same events, ids and answers as one at a time.
 */
describe('POST /messenger/events, one visitor session sending many items in one batch', () => {
  let service: TestApp;
  let store: EventStore;
  const now = Math.floor(Date.now() / 1000);
  let sequence = 0;
  const key = (label: string) => `${label}-${(sequence += 1)}`;

  beforeAll(async () => {
    service = await startTestApp({ SEEN_THROTTLE: '300' });
    store = service.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => service.close());
  afterEach(() => jest.restoreAllMocks());

  const ingest = ingestBatch;

  const countEvents = () => eventCountOf(store);

  async function streamOf(eventStore: EventStore, contactId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of eventStore.readStream(contactStreamId('acme', contactId)))
      events.push(event);
    return events;
  }

  /** Counts the store's appends to one contact's stream from now on. */
  function appendsTo(contactId: string): () => number {
    const append = jest.spyOn(store, 'append');
    return () =>
      append.mock.calls.filter(([streamId]) => streamId === contactStreamId('acme', contactId))
        .length;
  }

  const burst = (visitorId: string, label: string) => [
    {
      id: `${label}-seen`,
      type: 'visitor.seen',
      occurred_at: now - 600,
      visitor_id: visitorId,
      context: { browser: 'firefox', os: 'linux' },
    },
    ...Array.from({ length: 6 }, (_, index) => ({
      id: `${label}-tracked-${index}`,
      type: 'event.tracked',
      occurred_at: now - 590 + index,
      visitor_id: visitorId,
      event_name: `viewed-page-${index % 2}`,
      metadata: { page: index },
    })),
    {
      id: `${label}-attributes`,
      type: 'contact.attributes_updated',
      occurred_at: now - 580,
      visitor_id: visitorId,
      attributes: { name: 'Burst Visitor' },
    },
    {
      id: `${label}-talk`,
      type: 'conversation.started',
      occurred_at: now - 570,
      visitor_id: visitorId,
      conversation_id: `${label}-conversation`,
      context: { browser: 'chrome' },
    },
    {
      id: `${label}-seen-again`,
      type: 'visitor.seen',
      occurred_at: now - 560,
      visitor_id: visitorId,
      context: { browser: 'chrome', os: 'mac' },
    },
    {
      id: `${label}-tracked-after`,
      type: 'event.tracked',
      occurred_at: now - 550,
      visitor_id: visitorId,
      event_name: 'after-talking',
    },
  ];

  it('writes the burst in one append, with the events, ids and answers of its items sent one at a time', async () => {
    const oneByOne = await startTestApp({ SEEN_THROTTLE: '300' });
    try {
      const items = burst('v-burst', 'burst');
      const sentAlone: IngestionResultJson[] = [];
      for (const item of items) sentAlone.push(...(await ingest(oneByOne, [item])));
      // The same visitor_id leads to the same contact id in both services.
      const contactId = sentAlone[0]!.contact_id!;
      const appends = appendsTo(contactId);
      const together = await ingest(service, items);

      expect(together).toEqual(sentAlone);
      expect(together.every((result) => result.status === 'accepted')).toBe(true);
      expect(appends()).toBe(1);
      const written = (await streamOf(store, contactId)).map(comparable);
      const expected = (await streamOf(oneByOne.app.get<EventStore>(EVENT_STORE), contactId)).map(
        comparable,
      );
      expect(written).toEqual(expected);
      expect(written.map((event) => event.type)).toEqual(
        expect.arrayContaining(['VisitorRegistered', 'DataEventTracked', 'VisitorBecameLead']),
      );
      // Every item's first event carries its completion id.
      const ids = written.map((event) => event.id);
      for (const item of items.filter((entry) => entry.id !== 'burst-seen-again'))
        expect(ids).toContain(completionIdOf('acme', item.id));
    } finally {
      await oneByOne.close();
    }
  });

  it('answers duplicates and refusals in the middle of a burst in place, accepts the others in one append, and takes nothing twice', async () => {
    const visitorId = key('v-mixed');
    const talk = {
      id: key('talk'),
      type: 'conversation.started',
      occurred_at: now - 100,
      visitor_id: visitorId,
    };
    const [lead] = await ingest(service, [talk]);
    const contactId = lead!.contact_id!;
    expect((await service.request(`/contacts/${contactId}/block`, { method: 'POST' })).status).toBe(
      200,
    );
    // Taken as happening now (ahead of the clock), so after the block.
    const later = Math.floor(Date.now() / 1000) + 60;
    const tracked = (label: string) => ({
      id: key(label),
      type: 'event.tracked',
      occurred_at: now - 50,
      visitor_id: visitorId,
      event_name: label,
    });
    const batch = [
      tracked('first'),
      talk,
      tracked('second'),
      {
        id: key('blocked'),
        type: 'conversation.started',
        occurred_at: later,
        visitor_id: visitorId,
      },
      tracked('third'),
      {
        id: key('undefined-attribute'),
        type: 'contact.attributes_updated',
        occurred_at: now - 50,
        visitor_id: visitorId,
        attributes: { custom_attributes: { undefined_attribute: 1 } },
      },
      tracked('fourth'),
    ];
    const appends = appendsTo(contactId);
    const results = await ingest(service, batch);
    expect(results).toEqual([
      { id: batch[0]!.id, status: 'accepted', contact_id: contactId },
      { id: talk.id, status: 'duplicate', contact_id: contactId },
      { id: batch[2]!.id, status: 'accepted', contact_id: contactId },
      {
        id: batch[3]!.id,
        status: 'rejected',
        errors: [expect.objectContaining({ code: 'contact_blocked', field: 'visitor_id' })],
      },
      { id: batch[4]!.id, status: 'accepted', contact_id: contactId },
      {
        id: batch[5]!.id,
        status: 'rejected',
        errors: [
          expect.objectContaining({ field: 'attributes.custom_attributes.undefined_attribute' }),
        ],
      },
      { id: batch[6]!.id, status: 'accepted', contact_id: contactId },
    ]);
    expect(appends()).toBe(1);
    const events = await streamOf(store, contactId);
    expect(
      events.filter((event) => event.type === 'DataEventTracked').map((event) => event.id),
    ).toEqual([0, 2, 4, 6].map((index) => completionIdOf('acme', batch[index]!.id)));
    expect(events.filter((event) => event.type === 'ConversationStarted')).toHaveLength(1);

    const count = await countEvents();
    const again = await ingest(service, batch);
    expect(again.map((result) => result.status)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'rejected',
      'duplicate',
      'rejected',
      'duplicate',
    ]);
    expect(again[3]).toEqual(results[3]);
    expect(again[5]).toEqual(results[5]);
    expect(await countEvents()).toBe(count);
    expect(appends()).toBe(1);
  });

  it('runs a burst whose append lost a race to its contact again, whole, and takes each item once', async () => {
    const visitorId = key('v-race');
    const [seen] = await ingest(service, [
      { id: key('seen'), type: 'visitor.seen', occurred_at: now - 100, visitor_id: visitorId },
    ]);
    const contactId = seen!.contact_id!;
    const stream = contactStreamId('acme', contactId);
    const append = store.append.bind(store);
    let raced = false;
    const appends = appendsTo(contactId);
    jest.spyOn(store, 'append').mockImplementation(async (streamId, events, options) => {
      if (streamId === stream && !raced) {
        raced = true;
        // Another writer lands first: the burst's expected revision is stale.
        const [first] = events;
        await append(
          stream,
          [{ ...first!, id: randomUUID(), data: { ...first!.data, name: 'racer' } }],
          { expectedRevision: 'any' },
        );
      }
      return append(streamId, events, options);
    });
    const batch = Array.from({ length: 5 }, (_, index) => ({
      id: key('raced'),
      type: 'event.tracked',
      occurred_at: now - 50 + index,
      visitor_id: visitorId,
      event_name: 'raced',
    }));
    const results = await ingest(service, batch);
    expect(results).toEqual(
      batch.map((item) => ({ id: item.id, status: 'accepted', contact_id: contactId })),
    );
    expect(raced).toBe(true);
    expect(appends()).toBe(2);
    const tracked = (await streamOf(store, contactId)).filter(
      (event) => event.type === 'DataEventTracked',
    );
    expect(tracked.map((event) => event.data.name)).toEqual(['racer', ...batch.map(() => 'raced')]);
    expect(tracked.slice(1).map((event) => event.id)).toEqual(
      batch.map((item) => completionIdOf('acme', item.id)),
    );

    const count = await countEvents();
    const again = await ingest(service, batch);
    expect(again.map((result) => result.status)).toEqual(batch.map(() => 'duplicate'));
    expect(await countEvents()).toBe(count);
  });
});

/** What an event says, without where and when the store put it. */
const comparable = (event: RecordedEvent) => ({
  id: event.id,
  type: event.type,
  data: event.data,
  metadata: event.metadata,
});
