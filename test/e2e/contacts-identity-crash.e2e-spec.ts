import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { identityStreamId, type IdentityKind } from '../../src/shared/stream-names';
import { contactWrites } from '../support/contact-writes';
import { startTestApp, type TestApp } from '../support/test-app';

type Contact = { id: string; email: string | null; external_id: string | null };

/**
 * A process killed between claiming an identity and appending the contact leaves a reservation
 * naming a contact that never got the value. The embedded store is one process's alone, so once
 * it is open again no claim of the process before can still be in flight: the value is free at
 * once. It used to stay refused (409 naming a contact that does not exist, a messenger sign-up
 * rejected `conflict`) until the claim was 30 s old.
 */
describe('an identity claimed by a process that crashed before writing the contact', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  const { unique, write } = contactWrites<Contact>(() => service);

  /** What the crashed process left: a reservation, and no event on the contact's stream. */
  const leftByCrash = async (kind: IdentityKind, value: string, contactId: string) => {
    await service.app.get<symbol, EventStore>(EVENT_STORE).append(
      identityStreamId('acme', kind, value),
      [
        {
          id: randomUUID(),
          type: 'IdentityReserved',
          data: { contactId },
          metadata: { workspaceId: 'acme', occurredAt: Date.now() },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
  };

  it('a create takes an external_id and an email whose claimant was never created', async () => {
    const [externalId, email] = [unique('ext'), `${unique('mail')}@crash.test`];
    await leftByCrash('external_id', externalId, 'ghost-of-a-create');
    await leftByCrash('email', email, 'ghost-of-a-create');
    const created = await write('/contacts', 'POST', { external_id: externalId, email });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ external_id: externalId, email });
  });

  it('an update takes a value that a live contact claimed and never got', async () => {
    const externalId = unique('ext');
    const claimant = await write('/contacts', 'POST', { external_id: unique('before') });
    await leftByCrash('external_id', externalId, claimant.body.id);
    const other = await write('/contacts', 'POST', { role: 'lead', name: 'other' });
    const updated = await write(`/contacts/${other.body.id}`, 'PUT', { external_id: externalId });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: other.body.id, external_id: externalId });
    const taken = await write('/contacts', 'POST', { external_id: externalId });
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.body)).toContain(other.body.id);
  });

  it('a messenger sign-up creates the user whose external_id a crashed create claimed', async () => {
    const externalId = unique('ext');
    await leftByCrash('external_id', externalId, 'ghost-of-a-create');
    const response = await service.request('/messenger/events', {
      method: 'POST',
      json: {
        events: [
          {
            id: unique('signup'),
            type: 'contact.signed_up',
            occurred_at: Math.floor(Date.now() / 1000),
            external_id: externalId,
          },
        ],
      },
    });
    const { results } = (await response.json()) as { results: Array<Record<string, unknown>> };
    expect(results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    const user = await service.request(`/contacts/find_by_external_id/${externalId}`, {
      headers: { 'X-Min-Position': response.headers.get('x-position')! },
    });
    expect(user.status).toBe(200);
    expect(await user.json()).toMatchObject({
      id: results[0]!.contact_id,
      external_id: externalId,
    });
  });
});
