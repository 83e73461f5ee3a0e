import { ContactStreamWriter } from '../../src/contacts/contact-stream-writer';
import { isLive } from '../../src/contacts/domain/contact.state';
import { actAfterLookupOf } from '../support/after-lookup';
import { call216, startTestApp, type TestApp } from '../support/test-app';

type Contact = { id: string; role: string; name: string | null };
type Problem = { errors: { code: string; field?: string }[] };
type EventList = { events: { event_name: string }[] };

/**
 * A write naming a lead or visitor that is merged between the request's lookup (the contact still
 * open) and its write must end as the same request sent just after the merge: following the merge
 * link, on the user. It used to be refused `410 contact_merged`, which a client takes as final:
 * the data event or conversation was lost.
 */
describe('writes naming a contact merged while they are under way', () => {
  let service: TestApp;
  let sequence = 0;
  const unique = (label: string) => `${label}-${(sequence += 1)}-${Date.now()}`;

  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());
  afterEach(() => jest.restoreAllMocks());

  const call = <T>(path: string, method = 'GET', json?: unknown) =>
    call216<T>(service, path, method, json);

  const userAndLead = async () => {
    const user = (await call<Contact>('/contacts', 'POST', { email: `${unique('u')}@race.test` }))
      .body;
    const lead = (
      await call<Contact>('/contacts', 'POST', {
        role: 'lead',
        external_id: unique('lead'),
        name: 'Ada',
      })
    ).body;
    return { user, lead };
  };

  /** A messenger visitor, and a user it can be converted into. */
  const userAndVisitor = async () => {
    const visitorUserId = unique('v');
    const ingested = await call<{ results: { contact_id: string }[] }>(
      '/messenger/events',
      'POST',
      {
        events: [
          {
            id: unique('seen'),
            type: 'visitor.seen',
            occurred_at: Math.floor(Date.now() / 1000),
            visitor_id: visitorUserId,
          },
        ],
      },
    );
    const visitor = ingested.body.results[0]!.contact_id;
    const user = (await call<Contact>('/contacts', 'POST', { email: `${unique('u')}@race.test` }))
      .body;
    return { user, visitor };
  };

  const mergeLead = (lead: string, user: string) => async () =>
    expect(
      (
        await call('/contacts/merge', 'POST', {
          from: lead,
          into: user,
          skip_duplicate_validation: true,
        })
      ).status,
    ).toBe(200);
  const convertVisitor = (visitor: string, user: string) => async () =>
    expect(
      (
        await call('/visitors/convert', 'POST', {
          type: 'user',
          visitor: { id: visitor },
          user: { id: user },
        })
      ).status,
    ).toBe(200);

  /** Runs `merge` once, right after a request's lookup found `contactId` still open. */
  const mergeAfterLookupOf = (contactId: string, merge: () => Promise<void>) =>
    actAfterLookupOf(
      service,
      contactId,
      (located) => located.path.length === 1 && isLive(located.state),
      merge,
    );

  /** Whose streams hold the `eventType` events of `userId`'s timeline (its own, or a merged lead's). */
  const holdersOf = async (userId: string, eventType: string) =>
    (
      await call<{ data: { event_type: string; contact_id: string }[] }>(
        `/contacts/${userId}/timeline`,
      )
    ).body.data
      .filter((entry) => entry.event_type === eventType)
      .map((entry) => entry.contact_id);

  const eventNamesOf = async (contactId: string) =>
    (await call<EventList>(`/events?type=user&intercom_user_id=${contactId}`)).body.events.map(
      (event) => event.event_name,
    );

  it('records a data event naming a lead on the user it was merged into', async () => {
    const { user, lead } = await userAndLead();
    mergeAfterLookupOf(lead.id, mergeLead(lead.id, user.id));

    const tracked = await call('/events', 'POST', {
      event_name: 'raced',
      created_at: Math.floor(Date.now() / 1000) - 60,
      id: lead.id,
    });

    expect(tracked.status).toBe(202);
    expect(await eventNamesOf(user.id)).toEqual(['raced']);
    expect(await holdersOf(user.id, 'DataEventTracked')).toEqual([user.id]);
  });

  it('records a data event naming a visitor on the user it was converted into', async () => {
    const { user, visitor } = await userAndVisitor();
    mergeAfterLookupOf(visitor, convertVisitor(visitor, user.id));

    const tracked = await call('/events', 'POST', {
      event_name: 'raced',
      created_at: Math.floor(Date.now() / 1000) - 60,
      id: visitor,
    });

    expect(tracked.status).toBe(202);
    expect(await eventNamesOf(user.id)).toEqual(['raced']);
    expect(await holdersOf(user.id, 'DataEventTracked')).toEqual([user.id]);
  });

  it.each([
    [
      'a data event',
      '/events',
      (userId: string) => ({ event_name: 'raced', created_at: 1700000000, user_id: userId }),
      202,
      'DataEventTracked',
    ],
    [
      'a summary',
      '/events/summaries',
      (userId: string) => ({
        user_id: userId,
        event_summaries: { event_name: 'raced', count: 2, first: 1700000000, last: 1700000060 },
      }),
      200,
      'DataEventSummaryReported',
    ],
  ])(
    'records %s naming the lead by its external_id on the user, as just after the merge',
    async (_, path, body, accepted, eventType) => {
      const { user, lead } = await userAndLead();
      const externalId = (await call<{ external_id: string }>(`/contacts/${lead.id}`)).body
        .external_id;
      mergeAfterLookupOf(lead.id, mergeLead(lead.id, user.id));

      const raced = await call<Problem>(path, 'POST', body(externalId));
      const after = await call<Problem>(path, 'POST', body(externalId));

      // The user takes the lead's external_id: once the lead is merged, it names the user.
      expect(after.status).toBe(accepted);
      expect(raced.status).toBe(after.status);
      expect(await holdersOf(user.id, eventType)).toEqual([user.id]);
    },
  );

  it.each([
    ['a lead', 'lead'],
    ['a visitor', 'visitor'],
  ])('starts the conversation of %s on the user it was merged into', async (_, kind) => {
    const { user, source, merge } =
      kind === 'lead'
        ? await userAndLead().then(({ user, lead }) => ({
            user,
            source: lead.id,
            merge: mergeLead(lead.id, user.id),
          }))
        : await userAndVisitor().then(({ user, visitor }) => ({
            user,
            source: visitor,
            merge: convertVisitor(visitor, user.id),
          }));
    mergeAfterLookupOf(source, merge);

    const started = await call<{ conversation_id: string }>('/conversations', 'POST', {
      from: { type: 'lead', id: source },
      body: 'x',
    });

    expect(started.status).toBe(200);
    expect(await holdersOf(user.id, 'ConversationStarted')).toEqual([user.id]);
  });

  it('answers PUT /visitors 404 as for a contact that is no visitor any more', async () => {
    const { user, visitor } = await userAndVisitor();
    mergeAfterLookupOf(visitor, convertVisitor(visitor, user.id));

    const updated = await call<Problem>('/visitors', 'PUT', { id: visitor, name: 'Cy' });

    expect(updated.status).toBe(404);
    expect(updated.body.errors[0]).toMatchObject({ code: 'not_found', field: 'id' });
  });

  it('answers a conversion of the visitor to a lead 404, as just after the merge', async () => {
    const { user, visitor } = await userAndVisitor();
    mergeAfterLookupOf(visitor, convertVisitor(visitor, user.id));

    const converted = await call<Problem>('/visitors/convert', 'POST', {
      type: 'lead',
      visitor: { id: visitor },
      user: {},
    });

    expect(converted.status).toBe(404);
    expect(converted.body.errors[0]).toMatchObject({ code: 'not_found', field: 'visitor.id' });
  });

  it('keeps answering a Contacts API write on the merged lead 410, as just after the merge', async () => {
    const { user, lead } = await userAndLead();
    const writer = service.app.get(ContactStreamWriter);
    const loadLeadOrUser = writer.loadLeadOrUser.bind(writer);
    let merged = false;
    jest.spyOn(writer, 'loadLeadOrUser').mockImplementation(async (workspaceId, id) => {
      const contact = await loadLeadOrUser(workspaceId, id);
      if (!merged && id === lead.id) {
        merged = true;
        await mergeLead(lead.id, user.id)();
      }
      return contact;
    });

    const updated = await call<Problem>(`/contacts/${lead.id}`, 'PUT', { name: 'Ada L.' });

    expect(updated.status).toBe(410);
    expect(updated.body.errors[0]).toMatchObject({ code: 'contact_merged' });
  });
});
