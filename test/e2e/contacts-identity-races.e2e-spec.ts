import { IdentityReservations } from '../../src/contacts/identity/identity-reservations';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { contactWrites } from '../support/contact-writes';
import { startTestApp, type TestApp } from '../support/test-app';

type Contact = { id: string; role: string; email: string | null; external_id: string | null };

/**
 * Concurrent writes to one contact's identity (role, email, external_id): whatever order they
 * land in, the values the contact ends up with are claimed by it, and those it gave up are free
 * at once. The claims used to follow the state each request read before its write was re-decided,
 * so a lead's switch to user racing its email change left the new email unclaimed (a second user
 * could take it) and the old one held by nobody.
 */
describe('identity values under concurrent writes to one contact', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  const { unique, write } = contactWrites<Contact>(() => service);
  const current = async (id: string) => (await write(`/contacts/${id}`, 'GET')).body;

  it("a lead's switch to user racing its email change claims the email it ends with", async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const first = `${unique('first')}@race.test`;
      const second = `${unique('second')}@race.test`;
      const lead = (await write('/contacts', 'POST', { role: 'lead', email: first })).body;
      const answers = await Promise.all([
        write(`/contacts/${lead.id}`, 'PUT', { role: 'user' }),
        write(`/contacts/${lead.id}`, 'PUT', { email: second }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(await current(lead.id)).toMatchObject({ role: 'user', email: second });
      const taken = await write('/contacts', 'POST', { email: second });
      expect(taken.status).toBe(409);
      expect(JSON.stringify(taken.body)).toContain(lead.id);
      expect((await write('/contacts', 'POST', { email: first })).status).toBe(200);
    }
  });

  it('two concurrent changes of a user leave the value it did not keep free at once', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const [b, c] = [unique('b'), unique('c')];
      const user = (
        await write('/contacts', 'POST', {
          email: `${unique('a')}@race.test`,
          external_id: unique('a'),
        })
      ).body;
      const answers = await Promise.all([
        write(`/contacts/${user.id}`, 'PUT', { email: `${b}@race.test`, external_id: b }),
        write(`/contacts/${user.id}`, 'PUT', { email: `${c}@race.test`, external_id: c }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      const kept = (await current(user.id)).external_id;
      const given = kept === b ? c : b;
      expect([b, c]).toContain(kept);
      expect((await write('/contacts', 'POST', { email: `${given}@race.test` })).status).toBe(200);
      expect((await write('/contacts', 'POST', { external_id: given })).status).toBe(200);
      expect((await write('/contacts', 'POST', { external_id: kept! })).status).toBe(409);
    }
  });

  it('a delete racing an email change frees whichever email the contact held', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const [before, after] = [`${unique('before')}@race.test`, `${unique('after')}@race.test`];
      const user = (await write('/contacts', 'POST', { email: before })).body;
      await Promise.all([
        write(`/contacts/${user.id}`, 'PUT', { email: after }),
        write(`/contacts/${user.id}`, 'DELETE'),
      ]);
      expect((await write('/contacts', 'POST', { email: before })).status).toBe(200);
      expect((await write('/contacts', 'POST', { email: after })).status).toBe(200);
    }
  });

  /** Visitors seen by the messenger, ready for the Visitors API. */
  async function visitors(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => unique('v'));
    const response = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: ids.map((id) => ({
          id: unique('seen'),
          type: 'visitor.seen',
          occurred_at: Math.floor(Date.now() / 1000),
          visitor_id: id,
        })),
      },
    });
    const position = response.headers.get('x-position')!;
    await service.request('/contacts?per_page=1', { headers: { 'X-Min-Position': position } });
    return ids;
  }

  it('visitors converted at once to one new user_id all merge into the one user', async () => {
    const externalId = unique('converted');
    const answers = await Promise.all(
      (await visitors(8)).map((visitorId) =>
        write('/visitors/convert', 'POST', {
          type: 'user',
          user: { user_id: externalId },
          visitor: { user_id: visitorId },
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    const user = await current(answers[0]!.body.id);
    expect(user).toMatchObject({ role: 'user', external_id: externalId });
  });

  it('a messenger sign-up racing a POST /contacts of its external_id merges into that user', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const externalId = unique('raced');
      const [visitorId] = await visitors(1);
      const [created, ingested] = await Promise.all([
        write('/contacts', 'POST', { external_id: externalId }),
        service.request('/messenger/events', {
          method: 'POST',
          json: {
            events: [
              {
                id: unique('signup'),
                type: 'contact.signed_up',
                occurred_at: Math.floor(Date.now() / 1000),
                visitor_id: visitorId,
                external_id: externalId,
              },
            ],
          },
        }),
      ]);
      const [result] = ((await ingested.json()) as { results: Array<Record<string, unknown>> })
        .results;
      // Whichever landed first, the visitor and the API's user are one user in the end.
      if (created.status === 200) {
        expect(result).toMatchObject({ status: 'accepted', contact_id: created.body.id });
      } else {
        expect(created.status).toBe(409);
        expect(result).toMatchObject({ status: 'accepted' });
      }
    }
  });
});

/**
 * A write refused appends nothing: no claim of its identity made and given back, which a
 * concurrent write of the same identity would meet as a conflict naming a contact that never
 * exists.
 */
describe('identity values of refused writes', () => {
  let service: TestApp;
  let store: EventStore;
  beforeAll(async () => {
    service = await startTestApp();
    store = service.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => service.close());

  const { unique, write } = contactWrites<Contact>(() => service);
  const inTheFuture = Math.floor(Date.now() / 1000) + 3600;

  it('a create, update, conversion or sign-up refused leaves the log as it was', async () => {
    const taken = `${unique('taken')}@refused.test`;
    const holder = (await write('/contacts', 'POST', { email: taken })).body;
    const lead = (await write('/contacts', 'POST', { role: 'lead' })).body;
    const user = (await write('/contacts', 'POST', { external_id: unique('user') })).body;
    // Its email given with another external_id: a log-in the user refuses.
    const named = (
      await write('/contacts', 'POST', {
        external_id: unique('named'),
        email: `${unique('named')}@refused.test`,
      })
    ).body;
    const visitorId = unique('v');
    const now = Math.floor(Date.now() / 1000);
    await write('/messenger/events', 'POST', {
      events: [
        { id: unique('seen'), type: 'visitor.seen', occurred_at: now, visitor_id: visitorId },
      ],
    });
    const refusals: Array<[string, string, Record<string, unknown>, number, string]> = [
      [
        '/contacts',
        'POST',
        { external_id: unique('fut'), email: `${unique('fut')}@x.test`, last_seen_at: inTheFuture },
        400,
        'last_seen_at',
      ],
      ['/contacts', 'POST', { external_id: unique('fresh'), email: taken }, 409, holder.id],
      [
        `/contacts/${lead.id}`,
        'PUT',
        { role: 'user', external_id: unique('l'), email: taken },
        409,
        holder.id,
      ],
      [
        `/contacts/${user.id}`,
        'PUT',
        { external_id: unique('u'), last_seen_at: inTheFuture },
        400,
        'last_seen_at',
      ],
      [`/contacts/${user.id}`, 'PUT', { external_id: unique('u'), email: taken }, 409, holder.id],
      [
        '/visitors/convert',
        'POST',
        {
          type: 'user',
          user: { user_id: unique('conv'), email: named.email },
          visitor: { user_id: visitorId },
        },
        409,
        named.id,
      ],
      [
        '/messenger/events',
        'POST',
        {
          events: [
            {
              id: unique('signup'),
              type: 'contact.signed_up',
              occurred_at: now,
              visitor_id: visitorId,
              external_id: unique('signup'),
              email: named.email,
            },
          ],
        },
        200,
        'rejected',
      ],
    ];
    for (const [path, method, body, status, naming] of refusals) {
      const head = await store.headPosition();
      const answer = await write(path, method, body);
      expect({ path, body, status: answer.status, head: await store.headPosition() }).toEqual({
        path,
        body,
        status,
        head,
      });
      expect(JSON.stringify(answer.body)).toContain(naming);
    }
  });

  it('a create refused while a valid one of the same identity is made leaves it to the valid one', async () => {
    const reservations = service.app.get(IdentityReservations);
    const claimAll = reservations.claimAll.bind(reservations);
    const identity = { external_id: unique('both'), email: `${unique('both')}@race.test` };
    // The valid create is sent while the refused one holds what it claimed, if it claims at all.
    let valid: Promise<{ status: number; body: Contact }> | undefined;
    let refusedInFlight = true;
    const spy = jest
      .spyOn(reservations, 'claimAll')
      .mockImplementation(async (workspaceId, contactId, claims) => {
        const pending = await claimAll(workspaceId, contactId, claims);
        if (refusedInFlight) {
          refusedInFlight = false;
          valid = write('/contacts', 'POST', identity);
          await valid;
        }
        return pending;
      });
    try {
      const refused = await write('/contacts', 'POST', { ...identity, last_seen_at: inTheFuture });
      expect(refused.status).toBe(400);
      refusedInFlight = false;
      const created = await (valid ?? write('/contacts', 'POST', identity));
      expect(created.status).toBe(200);
      expect((await write(`/contacts/${created.body.id}`, 'GET')).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });
});
