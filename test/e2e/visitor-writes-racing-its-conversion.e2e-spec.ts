import { actAfterLookupOf } from '../support/after-lookup';
import { call216, startTestApp, type TestApp } from '../support/test-app';

type Problem = { errors: { code: string; message: string; field?: string }[] };
type Contact = {
  id: string;
  role: string;
  name: string | null;
  email: string | null;
  external_id: string | null;
};

/**
 * A Visitors API write naming a visitor that becomes a lead or user between the request's lookup
 * (still a visitor) and its write must end as the same request sent just after: 404 naming the
 * field that named the visitor, and nothing written. It used to be written to whoever the visitor
 * had become: PUT /visitors then answered 404 without a field, a conversion 200 (the lead made a
 * user), or 409 when another conversion had made it a user already.
 */
describe('Visitors API writes racing the conversion of their visitor', () => {
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

  /**
   * The raced request was refused as the same request sent just after: 404 naming the field that
   * named the visitor.
   */
  const expectRefusedAsJustAfter = (
    raced: { status: number; body: Problem },
    after: { status: number; body: Problem },
    field: string,
  ) => {
    expect(after.status).toBe(404);
    expect(after.body.errors).toEqual([{ code: 'not_found', message: 'Visitor Not Found', field }]);
    expect(raced.status).toBe(after.status);
    expect(raced.body.errors).toEqual(after.body.errors);
  };

  /** A messenger visitor: its contact id and the messenger's user_id for it. */
  const visitor = async () => {
    const userId = unique('v');
    const ingested = await call<{ results: { contact_id: string }[] }>(
      '/messenger/events',
      'POST',
      {
        events: [
          {
            id: unique('seen'),
            type: 'visitor.seen',
            occurred_at: Math.floor(Date.now() / 1000),
            visitor_id: userId,
          },
        ],
      },
    );
    return { id: ingested.body.results[0]!.contact_id, userId };
  };

  /** The visitor starts a conversation, which makes it a lead. */
  const startConversation = (visitorId: string) => async () =>
    expect(
      (
        await call('/conversations', 'POST', {
          from: { type: 'lead', id: visitorId },
          body: 'c1',
        })
      ).status,
    ).toBe(200);

  const user = async () =>
    (await call<Contact>('/contacts', 'POST', { email: `${unique('u')}@race.test` })).body;

  /** Another request converts the visitor into `userId`, naming it by its messenger user_id. */
  const convertInto = (visitorUserId: string, userId: string) => async () =>
    expect(
      (
        await call('/visitors/convert', 'POST', {
          type: 'user',
          visitor: { user_id: visitorUserId },
          user: { id: userId },
        })
      ).status,
    ).toBe(200);

  /** Runs `act` once, right after a request's lookup found `contactId` still a visitor. */
  const afterLookupOf = (contactId: string, act: () => Promise<void>) =>
    actAfterLookupOf(service, contactId, (located) => located.state.status === 'visitor', act);

  const eventTypesOf = async (contactId: string) =>
    (
      await call<{ data: { event_type: string }[] }>(`/contacts/${contactId}/timeline`)
    ).body.data.map((entry) => entry.event_type);

  it.each([
    ['id', (v: { id: string; userId: string }) => ({ id: v.id })],
    ['user_id', (v: { id: string; userId: string }) => ({ user_id: v.userId })],
  ])(
    'refuses PUT /visitors by %s as just after the visitor became a lead, writing nothing',
    async (field, reference) => {
      const named = await visitor();
      afterLookupOf(named.id, startConversation(named.id));

      const raced = await call<Problem>('/visitors', 'PUT', { ...reference(named), name: 'N1' });
      const after = await call<Problem>('/visitors', 'PUT', { ...reference(named), name: 'N2' });

      expectRefusedAsJustAfter(raced, after, field);
      expect((await call<Contact>(`/contacts/${named.id}`)).body).toMatchObject({
        role: 'lead',
        name: null,
      });
      expect(await eventTypesOf(named.id)).not.toContain('ContactUpdated');
    },
  );

  it('refuses a conversion to a lead as just after the visitor became one', async () => {
    const named = await visitor();
    afterLookupOf(named.id, startConversation(named.id));
    const convert = (userId: string) =>
      call<Problem>('/visitors/convert', 'POST', {
        type: 'lead',
        visitor: { id: named.id },
        user: { user_id: userId },
      });

    const raced = await convert(unique('lead'));
    const after = await convert(unique('lead'));

    expectRefusedAsJustAfter(raced, after, 'visitor.id');
    expect(
      (await call<{ external_id: string | null }>(`/contacts/${named.id}`)).body,
    ).toMatchObject({ external_id: null });
  });

  it.each([
    ['a new identity', async () => ({ user_id: unique('ext') })],
    ['the email of a user', async () => ({ email: (await user()).email })],
    ['a user by id', async () => ({ id: (await user()).id })],
  ])(
    'refuses a conversion to a user given %s as just after the visitor became a lead',
    async (_, target) => {
      const named = await visitor();
      const given = await target();
      afterLookupOf(named.id, startConversation(named.id));
      const convert = () =>
        call<Problem>('/visitors/convert', 'POST', {
          type: 'user',
          visitor: { id: named.id },
          user: given,
        });

      const raced = await convert();
      const after = await convert();

      expectRefusedAsJustAfter(raced, after, 'visitor.id');
      expect((await call<Contact>(`/contacts/${named.id}`)).body).toMatchObject({ role: 'lead' });
    },
  );

  it('refuses a conversion racing the conversion of its visitor into a user as just after it', async () => {
    const named = await visitor();
    const into = await user();
    afterLookupOf(named.id, convertInto(named.userId, into.id));
    const externalId = unique('ext');
    const convert = () =>
      call<Problem>('/visitors/convert', 'POST', {
        type: 'user',
        visitor: { id: named.id },
        user: { email: `${externalId}@race.test`, user_id: externalId },
      });

    const raced = await convert();
    const after = await convert();

    expectRefusedAsJustAfter(raced, after, 'visitor.id');
    expect((await call<Contact>(`/contacts/${into.id}`)).body).toMatchObject({
      email: into.email,
      external_id: null,
    });
    // Nobody was given the identity: it is free to take.
    const taken = await call('/contacts', 'POST', {
      email: `${externalId}@race.test`,
      external_id: externalId,
    });
    expect(taken.status).toBe(200);
  });
});
