import { CommandBus } from '@nestjs/cqrs';
import { DeleteContactCommand } from '../../src/contacts/commands/delete-contact/delete-contact.command';
import { completeMerge } from '../../src/contacts/commands/merge-contacts/complete-merge';
import { CLOCK } from '../../src/shared/clock';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { handleCommand } from '../../src/shared/event-sourcing/handle-command';
import {
  EVENT_STORE,
  lastEventOf,
  type EventStore,
  type NewEvent,
} from '../../src/shared/event-store/event-store.port';
import { ReadYourWrites } from '../../src/projection-runner/projection-runner.module';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventually } from '../support/eventually';
import { ADMIN_TOKEN, call216, startTestApp, type TestApp } from '../support/test-app';

const WORKSPACE = 'acme';

type Contact = { id: string; role: string; name: string | null; email: string | null };
type Problem = { errors: { code: string; field?: string }[] };
type Projection = { name: string; build: string | null; state: string; rebuild: unknown };
type ItemResult = { status: string; contact_id?: string; errors?: { code: string }[] };

/**
 * A merge closes its source, then lets the target absorb it. A deletion of the target landing
 * between the two must end as if one request had come first: here the deletion wins, so the merge
 * is refused and the lead (or messenger visitor) it had closed is open again, as it was. A refused
 * merge used to leave the source closed for a deleted target: lost, with the process manager
 * retrying the absorption forever.
 */
describe('a merge whose target is deleted after the source was closed', () => {
  let service: TestApp;
  let store: EventStore;
  let sequence = 0;
  const unique = (label: string) => `${label}-${(sequence += 1)}-${Date.now()}`;

  beforeAll(async () => {
    service = await startTestApp();
    store = service.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => service.close());
  afterEach(() => jest.restoreAllMocks());

  const call = <T>(path: string, method = 'GET', json?: unknown) =>
    call216<T>(service, path, method, json);

  const ingest = async (events: readonly Record<string, unknown>[]) =>
    (await call<{ results: ItemResult[] }>('/messenger/events', 'POST', { events })).body.results;
  const sighting = async (visitorId: string, at: number) =>
    (
      await ingest([
        { id: unique('seen'), type: 'visitor.seen', occurred_at: at, visitor_id: visitorId },
      ])
    )[0];

  /**
   * Deletes `targetId` right after the append that closes `sourceId`, before the merge's own
   * absorption step (`absorbFirst`: after the target absorbed it, as the process manager can).
   */
  const deleteTargetOnceSourceCloses = (
    sourceId: string,
    targetId: string,
    absorbFirst = false,
  ) => {
    const append = store.append.bind(store);
    let deleted = false;
    jest
      .spyOn(store, 'append')
      .mockImplementation(async (streamId: string, events: readonly NewEvent[], options) => {
        const result = await append(streamId, events, options);
        const closes =
          streamId === contactStreamId(WORKSPACE, sourceId) &&
          events.some((event) => event.type === 'ContactMergedInto');
        if (closes && !deleted) {
          deleted = true;
          if (absorbFirst)
            await completeMerge(store, service.app.get(CLOCK), WORKSPACE, sourceId, targetId);
          await service.app
            .get(CommandBus)
            .execute(new DeleteContactCommand(WORKSPACE, targetId, { actor: 'test' }));
        }
        return result;
      });
  };

  /**
   * The lead closed for the user, the user deleted as it closes, and nobody absorbing or
   * reopening it yet: as a crash between the merge's two steps leaves it.
   */
  const closeForUserDeletedMeanwhile = async (leadId: string, userId: string) => {
    deleteTargetOnceSourceCloses(leadId, userId);
    await handleCommand(
      store,
      contactStreamId(WORKSPACE, leadId),
      contactDecider,
      {
        type: 'MergeInto',
        data: { contactId: leadId, workspaceId: WORKSPACE, into: userId },
        now: Math.floor(Date.now() / 1000),
      },
      { metadata: { workspaceId: WORKSPACE, occurredAt: Date.now(), schemaVersion: 1 } },
    );
    jest.restoreAllMocks();
  };

  it('refuses the API merge and leaves the lead live and usable', async () => {
    const email = `${unique('lead')}@merge.test`;
    const user = (await call<Contact>('/contacts', 'POST', { email })).body;
    const lead = (await call<Contact>('/contacts', 'POST', { role: 'lead', email, name: 'Ada' }))
      .body;
    deleteTargetOnceSourceCloses(lead.id, user.id);
    const waits = jest.spyOn(service.app.get(ReadYourWrites), 'waitFor');

    const merge = await call<Problem>('/contacts/merge', 'POST', { from: lead.id, into: user.id });

    expect(merge.status).toBe(404);
    expect(merge.body.errors[0]).toMatchObject({ code: 'not_found', field: 'into' });
    // Answered once the reads show the lead open again, as any write is.
    const reverted = await lastEventOf(store, contactStreamId(WORKSPACE, lead.id));
    expect(reverted?.type).toBe('ContactMergeReverted');
    expect(waits).toHaveBeenCalledWith(reverted!.position, expect.anything());
    jest.restoreAllMocks();
    expect((await call(`/contacts/${user.id}`)).status).toBe(404);
    const after = await call<Contact>(`/contacts/${lead.id}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id: lead.id, role: 'lead', name: 'Ada', email });
    const updated = await call<Contact>(`/contacts/${lead.id}`, 'PUT', { name: 'Ada L.' });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe('Ada L.');
  });

  it('answers the merged user when the deletion came just after the absorption', async () => {
    const email = `${unique('after')}@merge.test`;
    const user = (await call<Contact>('/contacts', 'POST', { email })).body;
    const lead = (await call<Contact>('/contacts', 'POST', { role: 'lead', email, name: 'Cy' }))
      .body;
    deleteTargetOnceSourceCloses(lead.id, user.id, true);

    const merge = await call<Contact>('/contacts/merge', 'POST', { from: lead.id, into: user.id });

    expect(merge.status).toBe(200);
    expect(merge.body).toMatchObject({ id: user.id, role: 'user', name: 'Cy' });
    jest.restoreAllMocks();
    expect((await call(`/contacts/${user.id}`)).status).toBe(404);
    expect((await call(`/contacts/${lead.id}`)).status).toBe(404);
  });

  it('lets the messenger visitor log in as if the deletion had come first, and stay usable', async () => {
    const email = `${unique('visitor')}@merge.test`;
    const visitorId = unique('v');
    const now = Math.floor(Date.now() / 1000);
    const seen = await sighting(visitorId, now - 60);
    const visitor = seen!.contact_id!;
    const user = (await call<Contact>('/contacts', 'POST', { email })).body;
    deleteTargetOnceSourceCloses(visitor, user.id);

    const login = await ingest([
      {
        id: unique('login'),
        type: 'contact.logged_in',
        occurred_at: now,
        visitor_id: visitorId,
        email,
      },
    ]);
    jest.restoreAllMocks();
    // As if the deletion had come first: nobody holds the email, so the visitor takes it.
    expect(login).toMatchObject([{ status: 'accepted', contact_id: visitor }]);
    expect((await call<Contact>(`/contacts/${visitor}`)).body).toMatchObject({
      role: 'user',
      email,
    });

    const later = await ingest([
      {
        id: unique('conversation'),
        type: 'conversation.started',
        occurred_at: now,
        visitor_id: visitorId,
        conversation_id: unique('c'),
      },
    ]);
    expect(later.map((result) => result.status)).toEqual(['accepted']);
    expect(later[0]!.contact_id).toBe(visitor);
  });

  /** Deletes the user right before the log-in's own append to it, after it absorbed the visitor. */
  const deleteUserBeforeTheLogIn = (_visitor: string, userId: string) => {
    const append = store.append.bind(store);
    jest
      .spyOn(store, 'append')
      .mockImplementation(async (streamId: string, events: readonly NewEvent[], options) => {
        if (
          streamId === contactStreamId(WORKSPACE, userId) &&
          events.some((event) => event.type === 'ContactLoggedIn')
        )
          await service.app
            .get(CommandBus)
            .execute(new DeleteContactCommand(WORKSPACE, userId, { actor: 'test' }));
        return append(streamId, events, options);
      });
  };

  it.each([
    [
      'just after it absorbed the visitor',
      (visitor: string, userId: string) => deleteTargetOnceSourceCloses(visitor, userId, true),
    ],
    ['before the log-in is recorded on it', deleteUserBeforeTheLogIn],
  ])(
    'answers a log-in accepted when its user is deleted %s: the log-in came first',
    async (_when, deleteUser) => {
      const email = `${unique('absorbed')}@merge.test`;
      const visitorId = unique('v');
      const now = Math.floor(Date.now() / 1000);
      const seen = await sighting(visitorId, now - 60);
      const user = (await call<Contact>('/contacts', 'POST', { email })).body;
      deleteUser(seen!.contact_id!, user.id);

      const item = {
        id: unique('login'),
        type: 'contact.logged_in',
        occurred_at: now,
        visitor_id: visitorId,
        email,
      };
      const login = await ingest([item]);
      jest.restoreAllMocks();
      // Its effect, the merge, happened; the deletion after it took the visitor along.
      expect(login).toMatchObject([{ status: 'accepted', contact_id: user.id }]);
      expect((await call(`/contacts/${seen!.contact_id}`)).status).toBe(404);
      expect(await ingest([item])).toMatchObject([{ status: 'duplicate' }]);
    },
  );

  it.each([
    ['an update', (lead: string) => call(`/contacts/${lead}`, 'PUT', { name: 'x' }), 200],
    [
      'a data event',
      (lead: string) =>
        call('/events', 'POST', {
          event_name: 'e',
          created_at: Math.floor(Date.now() / 1000) - 60,
          id: lead,
        }),
      202,
    ],
    [
      'a conversation',
      (lead: string) =>
        call('/conversations', 'POST', { from: { type: 'lead', id: lead }, body: 'Hello' }),
      200,
    ],
    [
      'a merge into another user',
      async (lead: string) => {
        const other = (
          await call<Contact>('/contacts', 'POST', { email: `${unique('other')}@merge.test` })
        ).body;
        return call('/contacts/merge', 'POST', {
          from: lead,
          into: other.id,
          skip_duplicate_validation: true,
        });
      },
      200,
    ],
  ])(
    'takes %s on the lead before the refused merge reopened it, as just after',
    async (_what, request, status) => {
      const user = (
        await call<Contact>('/contacts', 'POST', { email: `${unique('gone')}@merge.test` })
      ).body;
      const lead = (await call<Contact>('/contacts', 'POST', { role: 'lead', name: 'Di' })).body;
      // Left as a crash between the merge's two steps leaves it, the user deleted as the lead
      // closes: the request may meet the lead closed before the process manager reopens it (or
      // after: either way it ends as the same request sent just after the refusal).
      await closeForUserDeletedMeanwhile(lead.id, user.id);

      const response = await request(lead.id);

      expect(response.status).toBe(status);
      const types: string[] = [];
      for await (const event of store.readStream(contactStreamId(WORKSPACE, lead.id)))
        types.push(event.type);
      expect(types.filter((type) => type === 'ContactMergeReverted')).toHaveLength(1);
    },
  );

  it('is completed by the process manager as a refusal: the lead is reopened', async () => {
    const email = `${unique('crash')}@merge.test`;
    const user = (await call<Contact>('/contacts', 'POST', { email })).body;
    const lead = (await call<Contact>('/contacts', 'POST', { role: 'lead', email, name: 'Bo' }))
      .body;
    // As a crash between the two steps leaves it: the lead closed, nobody absorbing it; the
    // target is deleted before the process manager gets to it.
    await closeForUserDeletedMeanwhile(lead.id, user.id);

    const reopened = await eventually(async () => {
      const response = await call<Contact>(`/contacts/${lead.id}`);
      return response.status === 200 ? response.body : undefined;
    });
    expect(reopened).toMatchObject({ role: 'lead', name: 'Bo', email });

    // A rebuild folds the same events to the same row.
    const contactsProjection = async () =>
      (
        (await (await service.request('/admin/projections', { token: ADMIN_TOKEN })).json()) as {
          data: Projection[];
        }
      ).data.find((projection) => projection.name === 'contacts')!;
    const before = await contactsProjection();
    const rebuild = await service.request('/admin/projections/contacts/rebuild', {
      method: 'POST',
      token: ADMIN_TOKEN,
    });
    expect(rebuild.status).toBe(202);
    await eventually(async () => {
      const after = await contactsProjection();
      return after.rebuild === null && after.state === 'live' && after.build !== before.build
        ? after
        : undefined;
    }, 15_000);
    expect((await call<Contact>(`/contacts/${lead.id}`)).body).toMatchObject({
      role: 'lead',
      name: 'Bo',
      email,
    });
  });
});
