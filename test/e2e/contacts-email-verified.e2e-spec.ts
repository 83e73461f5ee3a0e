import { loadState } from '../../src/shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { isLive } from '../../src/contacts/domain/contact.state';
import { startTestApp, type TestApp } from '../support/test-app';

interface ErrorList {
  type: string;
  errors: Array<{ code: string; message: string; field?: string }>;
}

/**
 * Intercom 2.16's `email_verified` on `POST /contacts` and `PUT /contacts/{id}`: whether the email
 * sent with it was verified. The contact object does not show it (Intercom's has no such field);
 * the contact's events record it, and the timeline names it.
 */
describe('email_verified on the Contacts API', () => {
  let service: TestApp;
  let store: EventStore;

  beforeAll(async () => {
    service = await startTestApp();
    store = service.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => service.close());

  async function send(path: string, method: string, json: unknown, version?: string) {
    const response = await service.request(path, {
      method,
      json,
      ...(version !== undefined ? { headers: { 'Intercom-Version': version } } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function create(json: unknown, version = '2.16') {
    const answer = await send('/contacts', 'POST', json, version);
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({
      status: 200,
      errors: undefined,
    });
    return answer.body as { id: string } & Record<string, unknown>;
  }

  /** The contact's events as stored: type and payload. */
  async function eventsOf(id: string) {
    const events: Array<{ type: string; data: Record<string, unknown> }> = [];
    for await (const event of store.readStream(contactStreamId('acme', id)))
      events.push({ type: event.type, data: event.data });
    return events;
  }

  /** Whether the contact's email is verified, as its events fold (no route shows it). */
  async function verificationOf(id: string) {
    const { state } = await loadState(store, contactStreamId('acme', id), contactDecider);
    if (!isLive(state)) throw new Error(`${id} is not live`);
    return state.email_verified;
  }

  async function summariesOf(id: string) {
    const response = await service.request(`/contacts/${id}/timeline`);
    return ((await response.json()) as { data: Array<{ summary: string }> }).data.map(
      (entry) => entry.summary,
    );
  }

  it('takes it with the email on create and update, on 2.16 and 2.14 alike, and records it in the events', async () => {
    const created = await create({ email: 'verified@example.com', email_verified: true });
    expect(created).toMatchObject({ email: 'verified@example.com', role: 'user' });
    expect(created).not.toHaveProperty('email_verified');
    expect((await eventsOf(created.id))[0]).toMatchObject({
      type: 'UserCreated',
      data: { attributes: { email: 'verified@example.com', email_verified: true } },
    });
    expect(await verificationOf(created.id)).toBe(true);

    // The SDK sends 2.14: the field is taken there too, as other 2.16 request fields are.
    const unverified = await send(
      `/contacts/${created.id}`,
      'PUT',
      { email: 'verified@example.com', email_verified: false },
      '2.14',
    );
    expect(unverified.status).toBe(200);
    expect(unverified.body).not.toHaveProperty('email_verified');
    expect(await verificationOf(created.id)).toBe(false);

    const unknown = await send(`/contacts/${created.id}`, 'PUT', {
      email: 'verified@example.com',
      email_verified: null,
    });
    expect(unknown.status).toBe(200);
    expect(await verificationOf(created.id)).toBeNull();

    expect((await eventsOf(created.id)).slice(1)).toEqual([
      {
        type: 'ContactUpdated',
        data: expect.objectContaining({ changes: { email_verified: false } }) as unknown,
      },
      {
        type: 'ContactUpdated',
        data: expect.objectContaining({ changes: { email_verified: null } }) as unknown,
      },
    ]);
    expect(await summariesOf(created.id)).toEqual([
      'Created as a user with email, email_verified',
      'Updated email_verified',
      'Updated email_verified',
    ]);

    const lead = await create(
      { role: 'lead', email: 'lead-verified@example.com', email_verified: false },
      '2.14',
    );
    expect(lead).toMatchObject({ role: 'lead', email: 'lead-verified@example.com' });
    expect(await verificationOf(lead.id)).toBe(false);
  });

  it('keeps the flag for the same email written again, and resets it for another email sent without one', async () => {
    const user = await create({ email: 'first@example.com', email_verified: true });
    const again = await send(`/contacts/${user.id}`, 'PUT', { email: 'first@example.com' });
    expect(again.status).toBe(200);
    expect(await eventsOf(user.id)).toHaveLength(1);
    // The same address, as identities compare emails: case aside.
    await send(`/contacts/${user.id}`, 'PUT', { email: 'First@Example.com' });
    expect(await verificationOf(user.id)).toBe(true);

    const moved = await send(`/contacts/${user.id}`, 'PUT', { email: 'second@example.com' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ email: 'second@example.com' });
    expect(await verificationOf(user.id)).toBeNull();
    expect((await eventsOf(user.id)).at(-1)!.data).toMatchObject({
      changes: { email: 'second@example.com', email_verified: null },
    });
    expect((await summariesOf(user.id)).at(-1)).toBe('Updated email, email_verified');

    // Another address verified as the one before was: its verification is recorded all the same.
    await send(`/contacts/${user.id}`, 'PUT', {
      email: 'third@example.com',
      email_verified: true,
    });
    await send(`/contacts/${user.id}`, 'PUT', {
      email: 'fourth@example.com',
      email_verified: true,
    });
    expect((await eventsOf(user.id)).at(-1)!.data).toMatchObject({
      changes: { email: 'fourth@example.com', email_verified: true },
    });
    expect(await verificationOf(user.id)).toBe(true);
  });

  it('resets it when the messenger supplies another email, which it sends unverified', async () => {
    const user = await create({
      email: 'messenger-user@example.com',
      external_id: 'messenger-verified',
      email_verified: true,
    });
    const ingested = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: 'supplied-other-email',
            type: 'email.supplied',
            occurred_at: Math.floor(Date.now() / 1000),
            contact_id: user.id,
            email: 'messenger-other@example.com',
          },
        ],
      },
    });
    expect(ingested.status).toBe(200);
    const { results } = (await ingested.json()) as { results: Array<{ status: string }> };
    expect(results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    expect(await verificationOf(user.id)).toBeNull();
  });

  it("gives a user that takes a merged lead's email the lead's verification of it", async () => {
    const lead = await create({
      role: 'lead',
      email: 'merged-lead@example.com',
      email_verified: true,
    });
    const user = await create({ external_id: 'takes-the-email' });
    const merged = await send('/contacts/merge', 'POST', { from: lead.id, into: user.id }, '2.14');
    expect(merged).toMatchObject({ status: 200, body: { email: 'merged-lead@example.com' } });
    expect(await verificationOf(user.id)).toBe(true);
    expect((await summariesOf(user.id)).at(-1)).toMatch(/^Absorbed the lead .* email_verified/);

    const keeper = await create({ email: 'keeps-own@example.com', email_verified: false });
    const other = await create({
      role: 'lead',
      email: 'other-lead@example.com',
      email_verified: true,
    });
    await send('/contacts/merge', 'POST', { from: other.id, into: keeper.id }, '2.14');
    expect(await verificationOf(keeper.id)).toBe(false);
  });

  describe('refusals change nothing', () => {
    let user: { id: string };
    let before: unknown;

    beforeAll(async () => {
      user = await create({ email: 'refusals@example.com', email_verified: true });
      before = await eventsOf(user.id);
    });

    async function contactCount() {
      const response = await service.request('/contacts');
      return ((await response.json()) as { total_count: number }).total_count;
    }

    it.each([
      ['without an email', { email_verified: true }, 'email_verified'],
      [
        'false, without an email',
        { external_id: 'no-email', email_verified: false },
        'email_verified',
      ],
      ['null, without an email', { role: 'lead', email_verified: null }, 'email_verified'],
      ['with a null email', { email: null, email_verified: false, role: 'lead' }, 'email_verified'],
      ['a string', { email: 'string@example.com', email_verified: 'true' }, 'email_verified'],
      ['a number', { email: 'number@example.com', email_verified: 1 }, 'email_verified'],
    ])('POST /contacts refuses email_verified %s, naming it', async (_label, body, field) => {
      const count = await contactCount();
      for (const version of ['2.16', '2.14']) {
        const answer = await send('/contacts', 'POST', body, version);
        expect(answer.status).toBe(400);
        expect(answer.body as unknown as ErrorList).toMatchObject({
          type: 'error.list',
          errors: [{ code: 'parameter_invalid', field }],
        });
      }
      expect(await contactCount()).toBe(count);
    });

    it.each([
      ['without an email', { email_verified: false }],
      ['null, without an email', { name: 'Renamed', email_verified: null }],
      ['with a null email', { email: null, email_verified: null }],
      ['a string', { email: 'refusals@example.com', email_verified: 'no' }],
      ['an object', { email: 'refusals@example.com', email_verified: {} }],
    ])('PUT /contacts/{id} refuses email_verified %s, naming it', async (_label, body) => {
      const answer = await send(`/contacts/${user.id}`, 'PUT', body);
      expect(answer.status).toBe(400);
      expect(answer.body as unknown as ErrorList).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'parameter_invalid', field: 'email_verified' }],
      });
      expect(await eventsOf(user.id)).toEqual(before);
    });

    it('words the refusal of a flag without its email as Intercom documents the rule', async () => {
      const answer = await send(`/contacts/${user.id}`, 'PUT', { email_verified: true });
      expect((answer.body as unknown as ErrorList).errors).toEqual([
        {
          code: 'parameter_invalid',
          message: 'email_verified must be supplied together with an email in the same request',
          field: 'email_verified',
        },
      ]);
    });
  });

  it('answers the contact as of an instant after its verification as it answers it now: the contact object has no such field', async () => {
    const user = await create({ email: 'as-of@example.com', email_verified: true });
    const now = Math.floor(Date.now() / 1000);
    const current = await send(`/contacts/${user.id}`, 'GET', undefined);
    const past = await send(`/contacts/${user.id}?as_of=${now}`, 'GET', undefined);
    expect(past.status).toBe(200);
    expect(past.body).toEqual(current.body);
    expect(past.body).not.toHaveProperty('email_verified');
  });
});
