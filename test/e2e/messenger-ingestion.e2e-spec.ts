import { CommandBus } from '@nestjs/cqrs';
import { setTimeout as delay } from 'node:timers/promises';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import { DeleteContactCommand } from '../../src/contacts/commands/delete-contact/delete-contact.command';
import { ContactLocator } from '../../src/identity-resolution/contact-locator';
import { visitorContactId } from '../../src/identity-resolution/visitor-contact-id';
import { completionIdOf } from '../../src/messenger/ingestion-records';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../src/projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { eventually } from '../support/eventually';
import { eventCountOf, ingestBatch, type IngestionResultJson } from '../support/messenger-batches';
import { startTestApp, type TestApp } from '../support/test-app';

describe('POST /messenger/events', () => {
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

  const ingest = (events: unknown[]) => ingestBatch(service, events);

  const countEvents = () => eventCountOf(store);

  async function streamTypes(contactId: string): Promise<string[]> {
    const types: string[] = [];
    for await (const event of store.readStream(contactStreamId('acme', contactId)))
      types.push(event.type);
    return types;
  }

  /** The contact as the Contacts API shows it once the read model has caught up. */
  async function contact(
    id: string,
    until: (body: Record<string, unknown>) => boolean = () => true,
  ) {
    return eventually(async () => {
      const response = await service.request(`/contacts/${id}?include_merge_history=true`, {
        headers: { 'intercom-version': '2.16' },
      });
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as Record<string, unknown>;
      return until(body) ? body : undefined;
    });
  }

  describe('identity resolution', () => {
    it('registers an unknown visitor_id as a visitor', async () => {
      const [result] = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 100,
          visitor_id: 'v-new',
          context: { browser: 'firefox' },
        },
      ]);
      expect(result).toMatchObject({
        status: 'accepted',
        contact_id: expect.stringMatching(/^[0-9a-f]{24}$/),
      });
      const visitor = await eventually(async () => {
        const response = await service.request('/visitors?user_id=v-new');
        return response.status === 200
          ? ((await response.json()) as Record<string, unknown>)
          : undefined;
      });
      expect(visitor).toMatchObject({
        id: result!.contact_id,
        user_id: 'v-new',
        last_request_at: now - 100,
      });
      expect(await streamTypes(result!.contact_id!)).toEqual(['VisitorRegistered', 'ContactSeen']);
    });

    it.each([
      ['conversation.started', 'ConversationStarted'],
      ['outbound.replied', 'OutboundReplied'],
    ])('%s makes a visitor a lead', async (type, eventType) => {
      const visitorId = key('v-talks');
      const [seen] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 50, visitor_id: visitorId },
      ]);
      const [talked] = await ingest([
        {
          id: key('talk'),
          type,
          occurred_at: now - 40,
          visitor_id: visitorId,
          conversation_id: 'c-1',
        },
      ]);
      expect(talked).toMatchObject({ status: 'accepted', contact_id: seen!.contact_id });
      expect(await streamTypes(seen!.contact_id!)).toEqual([
        'VisitorRegistered',
        'ContactSeen',
        eventType,
        'VisitorBecameLead',
      ]);
      expect(await contact(seen!.contact_id!)).toMatchObject({
        role: 'lead',
        last_replied_at: now - 40,
      });
    });

    it.each([
      ['visitor.seen', {}],
      ['conversation.started', { conversation_id: 'c-attributes' }],
      ['outbound.replied', { conversation_id: 'c-attributes' }],
      ['email.supplied', { email: 'supplied-with-attributes@example.com' }],
      ['event.tracked', { event_name: 'attributes-carried' }],
    ])('%s stores the attributes the item carries', async (type, fields) => {
      const name = `Named by ${type}`;
      const visitorId = key('v-attributes');
      const [result] = await ingest([
        {
          id: key('attributes'),
          type,
          occurred_at: now - 30,
          visitor_id: visitorId,
          attributes: { name, phone: '+33 1 23 45 67 89' },
          ...fields,
        },
      ]);
      expect(result).toMatchObject({ status: 'accepted' });
      // Leads show in the Contacts API, visitors in the Visitors API.
      const shown = await eventually(async () => {
        for (const path of [`/contacts/${result!.contact_id}`, `/visitors?user_id=${visitorId}`]) {
          const response = await service.request(path);
          if (response.status !== 200) continue;
          const body = (await response.json()) as Record<string, unknown>;
          if (body.name === name) return body;
        }
        return undefined;
      });
      expect(shown).toMatchObject({ name, phone: '+33 1 23 45 67 89' });
    });

    it("email.supplied for a user changes the user's email (an identity) with its attributes", async () => {
      const externalId = key('email-user');
      const user = (await (
        await service.request('/contacts', { method: 'POST', json: { external_id: externalId } })
      ).json()) as { id: string };
      const [result] = await ingest([
        {
          id: key('email-user'),
          type: 'email.supplied',
          occurred_at: now - 5,
          external_id: externalId,
          email: `${externalId}@example.com`,
          attributes: { name: 'Supplied user' },
        },
      ]);
      expect(result).toMatchObject({ status: 'accepted', contact_id: user.id });
      expect(await contact(user.id, (body) => body.name === 'Supplied user')).toMatchObject({
        email: `${externalId}@example.com`,
      });
      // The email is the user's identity now: another user cannot take it.
      const taken = await service.request('/contacts', {
        method: 'POST',
        json: { email: `${externalId}@example.com` },
      });
      expect(taken.status).toBe(409);
    });

    it('a late email.supplied for a user is dated at its own time: its context is a sighting, and newer writes stand', async () => {
      const visitorId = key('v-late-email');
      const externalId = key('late-email-user');
      const [signedUp] = await ingest([
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 600,
          visitor_id: visitorId,
          external_id: externalId,
          email: `${externalId}-a@example.com`,
        },
        {
          id: key('attributes'),
          type: 'contact.attributes_updated',
          occurred_at: now - 100,
          visitor_id: visitorId,
          attributes: { name: 'Newer' },
        },
      ]);
      const id = signedUp!.contact_id!;
      const [supplied] = await ingest([
        {
          id: key('email-late'),
          type: 'email.supplied',
          occurred_at: now - 400,
          visitor_id: visitorId,
          email: `${externalId}-b@example.com`,
          attributes: { name: 'Older' },
          context: { browser: 'firefox' },
        },
      ]);
      expect(supplied).toMatchObject({ status: 'accepted', contact_id: id });
      expect(
        await contact(id, (body) => body.email === `${externalId}-b@example.com`),
      ).toMatchObject({ name: 'Newer', browser: 'firefox', last_seen_at: now - 400 });
      const written: Array<{ type: string; occurredAt: number }> = [];
      for await (const event of store.readStream(contactStreamId('acme', id)))
        if (event.metadata.causationId === supplied!.id)
          written.push({ type: event.type, occurredAt: event.metadata.occurredAt });
      expect(written).toEqual([
        { type: 'ContactUpdated', occurredAt: (now - 400) * 1000 },
        { type: 'ContactSeen', occurredAt: (now - 400) * 1000 },
      ]);
      // The new email is the user's identity, and the one it replaced is free again.
      const create = (email: string) =>
        service.request('/contacts', { method: 'POST', json: { email } });
      expect((await create(`${externalId}-b@example.com`)).status).toBe(409);
      expect((await create(`${externalId}-a@example.com`)).status).toBe(200);
    });

    it('a sign-up with an identity nobody holds makes the visitor that user', async () => {
      const visitorId = key('v-signs-up');
      const [signedUp] = await ingest([
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 30,
          visitor_id: visitorId,
          external_id: 'ext-new-1',
          email: 'new1@example.com',
          attributes: { name: 'Ada' },
        },
      ]);
      expect(signedUp!.status).toBe('accepted');
      expect(await contact(signedUp!.contact_id!)).toMatchObject({
        role: 'user',
        external_id: 'ext-new-1',
        email: 'new1@example.com',
        name: 'Ada',
        signed_up_at: now - 30,
      });
      // The identity is claimed: the Contacts API refuses it to anyone else.
      const conflict = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: 'ext-new-1' },
      });
      expect(conflict.status).toBe(409);
    });

    it('a log-in with the external_id an existing user holds merges the lead into that user, and the merged id is followed', async () => {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: 'ext-holder-1', email: 'holder@example.com', name: 'Holder' },
      });
      const user = (await created.json()) as { id: string; created_at: number };
      // After the user was created: a merge is dated no earlier (see the timeline e2e).
      const loginAt = Math.max(now - 10, user.created_at);
      const visitorId = key('v-lead');
      const [started] = await ingest([
        {
          id: key('talk'),
          type: 'conversation.started',
          occurred_at: now - 20,
          visitor_id: visitorId,
          context: { os: 'linux' },
        },
      ]);
      const leadId = started!.contact_id!;
      await contact(leadId, (body) => body.role === 'lead');

      const [loggedIn] = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: loginAt,
          visitor_id: visitorId,
          external_id: 'ext-holder-1',
        },
      ]);
      expect(loggedIn).toMatchObject({ status: 'accepted', contact_id: user.id });
      const merged = await contact(
        user.id,
        (body) => (body.merge_history as unknown[]).length === 1,
      );
      expect(merged).toMatchObject({
        name: 'Holder',
        os: 'linux',
        last_replied_at: now - 20,
        // Event time, as every timestamp an item sets (domain.md, Timestamps).
        merge_history: [
          { source_contact_id: leadId, source_contact_role: 'lead', merged_at: loginAt },
        ],
      });
      const gone = await service.request(`/contacts/${leadId}`, {
        headers: { 'intercom-version': '2.16' },
      });
      expect(gone.status).toBe(410);
      expect(await streamTypes(user.id)).toEqual([
        'UserCreated',
        'LeadMergeAbsorbed',
        'ContactLoggedIn',
      ]);

      // Later items from the same messenger visitor, or naming the lead's id, land on the user.
      const [later, byOldId] = await ingest([
        {
          id: key('event'),
          type: 'event.tracked',
          occurred_at: now - 5,
          visitor_id: visitorId,
          event_name: 'clicked',
        },
        {
          id: key('event'),
          type: 'event.tracked',
          occurred_at: now - 4,
          contact_id: leadId,
          event_name: 'clicked',
        },
      ]);
      expect(later).toMatchObject({ status: 'accepted', contact_id: user.id });
      expect(byOldId).toMatchObject({ status: 'accepted', contact_id: user.id });
    });

    it('a sign-up with the email a user holds merges the visitor into that user; the visitor id is then gone (410 on 2.16)', async () => {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { email: 'mail-holder@example.com' },
      });
      const user = (await created.json()) as { id: string };
      const visitorId = key('v-mail');
      const [seen, result] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 11, visitor_id: visitorId },
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 10,
          visitor_id: visitorId,
          email: 'Mail-Holder@example.com',
        },
      ]);
      expect(result).toMatchObject({ status: 'accepted', contact_id: user.id });
      const visitor = seen!.contact_id!;
      expect(visitor).not.toBe(user.id);
      const gone = await service.request(`/contacts/${visitor}`, {
        headers: {
          'Intercom-Version': '2.16',
          'X-Min-Position': (await store.headPosition()).toString(),
        },
      });
      expect(gone.status).toBe(410);
      expect(gone.headers.get('link')).toBe(`</contacts/${user.id}>; rel="canonical"`);
      expect((await service.request(`/contacts/${visitor}`)).status).toBe(404);
    });

    it("a lead logging in as a user without an external_id gives it the lead's; one naming an external_id of its own leaves the lead's with the lead", async () => {
      const create = async (json: Record<string, unknown>) =>
        (await (await service.request('/contacts', { method: 'POST', json })).json()) as {
          id: string;
        };
      const [user, otherUser] = [
        await create({ email: `${key('bare')}@login-ext.test` }),
        await create({ email: `${key('bare')}@login-ext.test` }),
      ];
      const [leadExternalId, keptExternalId, givenExternalId] = [
        key('lead-ext'),
        key('kept-ext'),
        key('given-ext'),
      ];
      const [lead, keeping] = [
        await create({ role: 'lead', external_id: leadExternalId }),
        await create({ role: 'lead', external_id: keptExternalId }),
      ];
      const emailOf = async (id: string) => (await contact(id)).email as string;

      const results = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          contact_id: lead.id,
          email: await emailOf(user.id),
        },
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          contact_id: keeping.id,
          email: await emailOf(otherUser.id),
          external_id: givenExternalId,
        },
      ]);
      expect(results.map((result) => [result.status, result.contact_id])).toEqual([
        ['accepted', user.id],
        ['accepted', otherUser.id],
      ]);
      const found = async (externalId: string) => {
        const response = await service.request(`/contacts/find_by_external_id/${externalId}`, {
          headers: { 'Intercom-Version': '2.16' },
        });
        const body = (await response.json()) as { id?: string };
        return [response.status, body.id ?? response.headers.get('link')];
      };
      expect(await found(leadExternalId)).toEqual([200, user.id]);
      expect(await found(givenExternalId)).toEqual([200, otherUser.id]);
      expect(await found(keptExternalId)).toEqual([
        410,
        `</contacts/${otherUser.id}>; rel="canonical"`,
      ]);
    });

    describe("a lead whose email a user holds, signing up or logging in with an external_id nobody holds, becomes that user without the email (the lead's history keeps it)", () => {
      const userHolding = async (email: string) =>
        (await (
          await service.request('/contacts', { method: 'POST', json: { email } })
        ).json()) as {
          id: string;
          email: string;
          updated_at: number;
        };

      it.each([
        ['contact.signed_up', 'LeadSignedUp'],
        ['contact.logged_in', 'ContactLoggedIn'],
      ])("%s from the lead's visitor_id", async (type, lastEvent) => {
        const email = `${key('held')}@kept-mail.test`;
        const holder = await userHolding(email);
        const visitorId = key('v-kept-mail');
        const [supplied] = await ingest([
          {
            id: key('supplied'),
            type: 'email.supplied',
            occurred_at: now - 20,
            visitor_id: visitorId,
            email: email.toUpperCase(),
          },
        ]);
        expect(supplied).toMatchObject({ status: 'accepted' });
        const lead = supplied!.contact_id!;
        expect(lead).not.toBe(holder.id);
        expect(await contact(lead)).toMatchObject({ role: 'lead', email: email.toUpperCase() });

        const externalId = key('lx-new');
        const item = {
          id: key('identify'),
          type,
          occurred_at: now - 10,
          visitor_id: visitorId,
          external_id: externalId,
        };
        const [result] = await ingest([item]);
        expect(result).toMatchObject({ status: 'accepted', contact_id: lead });
        expect((await streamTypes(lead)).at(-1)).toBe(lastEvent);
        expect(await contact(lead, (body) => body.role === 'user')).toMatchObject({
          role: 'user',
          external_id: externalId,
          email: null,
        });
        expect(await contact(holder.id)).toMatchObject({
          role: 'user',
          email,
          external_id: null,
          updated_at: holder.updated_at,
        });

        const before = await countEvents();
        const [again] = await ingest([item]);
        expect(again).toMatchObject({ status: 'duplicate', contact_id: lead });
        expect(await countEvents()).toBe(before);
      });

      it('contact.signed_up naming the lead by contact_id', async () => {
        const holder = await userHolding('kept-mail@example.com');
        const lead = (await (
          await service.request('/contacts', {
            method: 'POST',
            json: { role: 'lead', email: 'Kept-Mail@example.com' },
          })
        ).json()) as { id: string };
        const externalId = key('ext-kept-mail');
        const [result] = await ingest([
          {
            id: key('signup'),
            type: 'contact.signed_up',
            occurred_at: now - 5,
            contact_id: lead.id,
            external_id: externalId,
          },
        ]);
        expect(result).toMatchObject({ status: 'accepted', contact_id: lead.id });
        expect(await contact(lead.id, (body) => body.role === 'user')).toMatchObject({
          external_id: externalId,
          email: null,
        });
        expect(await contact(holder.id)).toMatchObject({ email: 'kept-mail@example.com' });
        // The email is still the holder's alone.
        const taken = await service.request('/contacts', {
          method: 'POST',
          json: { email: 'KEPT-MAIL@example.com' },
        });
        expect(taken.status).toBe(409);
      });
    });

    it('refuses an item whose contact_id and identity name different contacts, applying nothing', async () => {
      const [first, second] = await Promise.all(
        ['one', 'two'].map(async (label) => {
          const response = await service.request('/contacts', {
            method: 'POST',
            json: { external_id: key(`both-${label}`), email: `${key(label)}@both.test` },
          });
          return (await response.json()) as { id: string; external_id: string; email: string };
        }),
      );
      const before = await countEvents();
      const results = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 5,
          contact_id: first!.id,
          external_id: second!.external_id,
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          contact_id: first!.id,
          email: second!.email,
          attributes: { name: 'Whose?' },
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          contact_id: first!.id,
          external_id: first!.external_id,
          attributes: { name: 'Agreed' },
        },
      ]);
      expect(results.map((result) => [result.status, result.errors?.[0]?.code])).toEqual([
        ['rejected', 'conflict'],
        ['rejected', 'conflict'],
        ['accepted', undefined],
      ]);
      // The accepted item's update and the record of its key; nothing of the refused ones.
      expect(await countEvents()).toBe(before + 2);
    });

    it('rejects an item whose contact_id names no contact not_found, whatever identity it gives', async () => {
      const response = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: key('held'), email: `${key('held')}@held.test` },
      });
      const holder = (await response.json()) as { external_id: string; email: string };
      const before = await countEvents();
      const results = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 5,
          contact_id: 'ffffffffffffffffffffffff',
          external_id: holder.external_id,
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          contact_id: 'ffffffffffffffffffffffff',
          email: holder.email,
          attributes: { name: 'Nobody' },
        },
      ]);
      expect(results.map((result) => [result.status, result.errors])).toEqual([
        ['rejected', [{ code: 'not_found', message: 'Contact Not Found', field: 'contact_id' }]],
        ['rejected', [{ code: 'not_found', message: 'Contact Not Found', field: 'contact_id' }]],
      ]);
      expect(await countEvents()).toBe(before);
    });

    it('refuses a sign-up or log-in naming one user by contact_id and another by identity, changing neither', async () => {
      const [first, second] = await Promise.all(
        ['one', 'two'].map(async (label) => {
          const response = await service.request('/contacts', {
            method: 'POST',
            json: { external_id: key(`signin-${label}`), email: `${key(label)}@signin.test` },
          });
          return (await response.json()) as { id: string; external_id: string; email: string };
        }),
      );
      const before = await countEvents();
      const results = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          contact_id: first!.id,
          email: second!.email,
          attributes: { name: 'Whose login?' },
        },
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 5,
          contact_id: first!.id,
          external_id: second!.external_id,
          attributes: { phone: '+1777' },
        },
      ]);
      expect(
        results.map((result) => [
          result.status,
          result.errors?.[0]?.code,
          result.errors?.[0]?.field,
        ]),
      ).toEqual([
        ['rejected', 'conflict', 'contact_id'],
        ['rejected', 'conflict', 'contact_id'],
      ]);
      expect(await countEvents()).toBe(before);
      const target = (await (await service.request(`/contacts/${second!.id}`)).json()) as {
        name: string | null;
        phone: string | null;
      };
      expect([target.name, target.phone]).toEqual([null, null]);
    });

    it("refuses an item whose visitor_id leads to a contact other than its contact_id's, applying nothing", async () => {
      const visitorId = key('v-other');
      const [talked] = await ingest([
        {
          id: key('talk'),
          type: 'conversation.started',
          occurred_at: now - 20,
          visitor_id: visitorId,
          conversation_id: 'c-other',
        },
      ]);
      const visitorLead = talked!.contact_id!;
      const other = (await (
        await service.request('/contacts', { method: 'POST', json: { role: 'lead' } })
      ).json()) as { id: string };
      const before = await countEvents();
      const results = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 5,
          visitor_id: visitorId,
          contact_id: other.id,
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          visitor_id: visitorId,
          contact_id: other.id,
          attributes: { name: 'Whose browser?' },
        },
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 5,
          visitor_id: visitorId,
          contact_id: other.id,
          external_id: key('ext-other'),
        },
      ]);
      expect(results.map((result) => [result.status, result.errors])).toEqual(
        Array.from({ length: 3 }, () => [
          'rejected',
          [
            {
              code: 'conflict',
              message: `The identity given belongs to several contacts: ${other.id}, ${visitorLead}`,
              field: 'visitor_id',
            },
          ],
        ]),
      );
      expect(await countEvents()).toBe(before);

      // The visitor's own contact, a visitor_id that leads to nobody yet, or one merged into the
      // contact named: all one contact.
      const [own, fresh] = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 4,
          visitor_id: visitorId,
          contact_id: visitorLead,
        },
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 4,
          visitor_id: key('v-unknown'),
          contact_id: other.id,
        },
      ]);
      expect(own).toMatchObject({ status: 'accepted', contact_id: visitorLead });
      expect(fresh).toMatchObject({ status: 'accepted', contact_id: other.id });
      const user = (await (
        await service.request('/contacts', {
          method: 'POST',
          json: { external_id: key('ext-user') },
        })
      ).json()) as { id: string; external_id: string };
      const [login] = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 3,
          visitor_id: visitorId,
          external_id: user.external_id,
        },
      ]);
      expect(login).toMatchObject({ status: 'accepted', contact_id: user.id });
      const [afterMerge] = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 2,
          visitor_id: visitorId,
          contact_id: user.id,
        },
      ]);
      expect(afterMerge).toMatchObject({ status: 'accepted', contact_id: user.id });
    });

    describe('an item (not a sign-up or log-in) naming an external_id or email beside its visitor_id addresses that contact, as a contact_id does', () => {
      async function createUser(label: string) {
        const response = await service.request('/contacts', {
          method: 'POST',
          json: { external_id: key(label), email: `${key(label)}@named.test` },
        });
        return (await response.json()) as { id: string; external_id: string; email: string };
      }

      /** The data events GET /events lists for the contact, by name, once they are all there. */
      async function eventNamesOf(contactId: string, count: number): Promise<string[]> {
        const names = await eventually(async () => {
          const response = await service.request(`/events?type=user&intercom_user_id=${contactId}`);
          if (response.status !== 200) return undefined;
          const body = (await response.json()) as { events: Array<{ event_name: string }> };
          return body.events.length >= count ? body.events : undefined;
        });
        return names.map((event) => event.event_name).sort();
      }

      it('a visitor_id that leads to nobody yet: the named user takes the item, and no visitor is registered', async () => {
        const user = await createUser('named');
        const [byExternalId, byEmail] = [key('v-fresh'), key('v-fresh')];
        const results = await ingest([
          {
            id: key('tracked'),
            type: 'event.tracked',
            occurred_at: now - 5,
            visitor_id: byExternalId,
            external_id: user.external_id,
            event_name: 'by-external-id',
          },
          {
            id: key('attrs'),
            type: 'contact.attributes_updated',
            occurred_at: now - 5,
            visitor_id: byEmail,
            email: user.email.toUpperCase(),
            attributes: { name: 'Named by email' },
          },
        ]);
        expect(results.map((result) => [result.status, result.contact_id])).toEqual([
          ['accepted', user.id],
          ['accepted', user.id],
        ]);
        expect(await eventNamesOf(user.id, 1)).toEqual(['by-external-id']);
        expect(await contact(user.id, (body) => body.name === 'Named by email')).toBeDefined();
        for (const visitorId of [byExternalId, byEmail]) {
          expect(await streamTypes(visitorContactId('acme', visitorId))).toEqual([]);
          expect((await service.request(`/visitors?user_id=${visitorId}`)).status).toBe(404);
        }
      });

      it('a visitor_id leading to another contact is refused conflict naming visitor_id, an identity nobody holds not_found naming it; nothing is written', async () => {
        const user = await createUser('named-other');
        const visitorId = key('v-known');
        const [seen] = await ingest([
          { id: key('seen'), type: 'visitor.seen', occurred_at: now - 20, visitor_id: visitorId },
        ]);
        const visitor = seen!.contact_id!;
        const before = await countEvents();
        const unknownVisitorId = key('v-fresh');
        const results = await ingest([
          {
            id: key('tracked'),
            type: 'event.tracked',
            occurred_at: now - 5,
            visitor_id: visitorId,
            external_id: user.external_id,
            event_name: 'whose-browser',
          },
          {
            id: key('attrs'),
            type: 'contact.attributes_updated',
            occurred_at: now - 5,
            visitor_id: visitorId,
            email: user.email,
            attributes: { name: 'Whose browser?' },
          },
          {
            id: key('tracked'),
            type: 'event.tracked',
            occurred_at: now - 5,
            visitor_id: visitorId,
            external_id: key('ext-nobody'),
            event_name: 'nobody',
          },
          {
            id: key('attrs'),
            type: 'contact.attributes_updated',
            occurred_at: now - 5,
            visitor_id: visitorId,
            email: `${key('nobody')}@named.test`,
            attributes: { name: 'Nobody' },
          },
          {
            id: key('seen'),
            type: 'visitor.seen',
            occurred_at: now - 5,
            visitor_id: unknownVisitorId,
            external_id: key('ext-nobody'),
          },
        ]);
        const conflict = {
          code: 'conflict',
          message: `The identity given belongs to several contacts: ${user.id}, ${visitor}`,
          field: 'visitor_id',
        };
        const notFound = (field: string) => ({
          code: 'not_found',
          message: 'Contact Not Found',
          field,
        });
        expect(results.map((result) => [result.status, result.errors])).toEqual([
          ['rejected', [conflict]],
          ['rejected', [conflict]],
          ['rejected', [notFound('external_id')]],
          ['rejected', [notFound('email')]],
          ['rejected', [notFound('external_id')]],
        ]);
        expect(await countEvents()).toBe(before);
        expect(await streamTypes(visitorContactId('acme', unknownVisitorId))).toEqual([]);
        expect(await contact(user.id)).toMatchObject({ name: null });
      });

      it("a visitor_id that leads to the named user agrees with it; email.supplied's email is the address typed, addressing nobody", async () => {
        const user = await createUser('named-own');
        const visitorId = key('v-own');
        const [login] = await ingest([
          {
            id: key('login'),
            type: 'contact.logged_in',
            occurred_at: now - 20,
            visitor_id: visitorId,
            external_id: user.external_id,
          },
        ]);
        expect(login).toMatchObject({ status: 'accepted', contact_id: user.id });
        const typingVisitorId = key('v-typing');
        const [own, typed] = await ingest([
          {
            id: key('tracked'),
            type: 'event.tracked',
            occurred_at: now - 5,
            visitor_id: visitorId,
            external_id: user.external_id,
            event_name: 'own-browser',
          },
          {
            id: key('supplied'),
            type: 'email.supplied',
            occurred_at: now - 5,
            visitor_id: typingVisitorId,
            email: user.email,
          },
        ]);
        expect(own).toMatchObject({ status: 'accepted', contact_id: user.id });
        expect(await eventNamesOf(user.id, 1)).toEqual(['own-browser']);
        const typingVisitor = visitorContactId('acme', typingVisitorId);
        expect(typed).toMatchObject({ status: 'accepted', contact_id: typingVisitor });
        expect(await contact(typingVisitor)).toMatchObject({ role: 'lead', email: user.email });
        expect(await contact(user.id)).toMatchObject({ role: 'user', email: user.email });
      });
    });

    it('items naming only an identity address its holder; an unknown one is not_found, except a sign-up', async () => {
      await service.request('/contacts', { method: 'POST', json: { external_id: 'ext-server-1' } });
      const [known, unknown, signup, login] = await ingest([
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          external_id: 'ext-server-1',
          attributes: { name: 'Server Side' },
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          external_id: 'ext-nobody',
          attributes: { name: 'x' },
        },
        {
          id: key('signup'),
          type: 'contact.signed_up',
          occurred_at: now - 5,
          external_id: 'ext-server-new',
          email: 'server-new@example.com',
        },
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          external_id: 'ext-server-nobody',
        },
      ]);
      expect(known!.status).toBe('accepted');
      expect(
        await contact(known!.contact_id!, (body) => body.name === 'Server Side'),
      ).toBeDefined();
      expect(unknown).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'not_found', field: 'external_id' }],
      });
      expect(signup!.status).toBe('accepted');
      expect(await contact(signup!.contact_id!)).toMatchObject({
        role: 'user',
        external_id: 'ext-server-new',
      });
      expect(login).toMatchObject({ status: 'rejected', errors: [{ code: 'not_found' }] });
    });

    it('an item naming only an email addresses its lead, and refuses an email several leads share', async () => {
      const lead = (await (
        await service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', email: 'lone-lead@example.com' },
        })
      ).json()) as { id: string };
      for (let copy = 0; copy < 2; copy += 1) {
        const shared = await service.request('/contacts', {
          method: 'POST',
          json: { role: 'lead', email: 'shared-lead@example.com' },
        });
        expect(shared.status).toBe(200);
      }
      const [lone, ambiguous] = await ingest([
        {
          id: key('lead-mail'),
          type: 'contact.attributes_updated',
          occurred_at: now - 5,
          email: 'Lone-Lead@example.com',
          attributes: { name: 'Found by email' },
        },
        {
          id: key('lead-mail'),
          type: 'event.tracked',
          occurred_at: now - 5,
          email: 'shared-lead@example.com',
          event_name: 'ambiguous',
        },
      ]);
      expect(lone).toMatchObject({ status: 'accepted', contact_id: lead.id });
      expect(await contact(lead.id, (body) => body.name === 'Found by email')).toBeDefined();
      expect(ambiguous).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'conflict', field: 'email' }],
      });
    });

    it('a sign-up or log-in naming only a lead (by external_id, or as the only lead with the email) makes that lead the user', async () => {
      const createLead = async (json: Record<string, unknown>) =>
        (await (
          await service.request('/contacts', { method: 'POST', json: { role: 'lead', ...json } })
        ).json()) as { id: string };
      const byExternalId = await createLead({ external_id: 'lead-ext-login' });
      const byEmail = await createLead({ email: 'lead-mail-signup@example.com' });
      const heldByLead = await createLead({ external_id: 'lead-ext-held' });
      const [loggedIn, signedUp, fromVisitor] = await ingest([
        {
          id: key('lead-login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          external_id: 'lead-ext-login',
        },
        {
          id: key('lead-signup'),
          type: 'contact.signed_up',
          occurred_at: now - 5,
          email: 'Lead-Mail-Signup@example.com',
        },
        {
          id: key('visitor-signup'),
          type: 'contact.signed_up',
          occurred_at: now - 5,
          visitor_id: key('v-lead-held'),
          external_id: 'lead-ext-held',
        },
      ]);
      expect(loggedIn).toMatchObject({ status: 'accepted', contact_id: byExternalId.id });
      expect(signedUp).toMatchObject({ status: 'accepted', contact_id: byEmail.id });
      for (const id of [byExternalId.id, byEmail.id]) {
        expect(await contact(id, (body) => body.role === 'user')).toMatchObject({
          role: 'user',
          signed_up_at: expect.any(Number),
        });
      }
      const users = (await (
        await service.request('/contacts/search', {
          method: 'POST',
          json: { query: { field: 'email', operator: '=', value: 'lead-mail-signup@example.com' } },
        })
      ).json()) as { data: Array<{ id: string }> };
      expect(users.data.map((user) => user.id)).toEqual([byEmail.id]);
      // A visitor cannot take an identity a lead holds: only users absorb other contacts.
      expect(fromVisitor).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'conflict', field: 'external_id' }],
      });
      expect(await contact(heldByLead.id)).toMatchObject({ role: 'lead' });
    });

    it('a log-in refused for identities of two different users leaves no visitor behind', async () => {
      for (const json of [{ external_id: 'split-ext' }, { email: 'split-mail@example.com' }]) {
        expect((await service.request('/contacts', { method: 'POST', json })).status).toBe(200);
      }
      const before = await countEvents();
      const visitorId = key('v-split');
      const [result] = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 5,
          visitor_id: visitorId,
          external_id: 'split-ext',
          email: 'split-mail@example.com',
        },
      ]);
      expect(result).toMatchObject({ status: 'rejected', errors: [{ code: 'conflict' }] });
      expect((await service.request(`/visitors?user_id=${visitorId}`)).status).toBe(404);
      expect(await countEvents()).toBe(before);
    });

    describe('a sign-up or log-in landing on an existing user claims the value it adds', () => {
      const createUser = async (json: Record<string, unknown>) => {
        const response = await service.request('/contacts', { method: 'POST', json });
        expect(response.status).toBe(200);
        return (await response.json()) as { id: string };
      };
      const shapes = [
        ['contact.logged_in', 'a visitor_id'],
        ['contact.signed_up', 'a visitor_id'],
        ['contact.signed_up', 'no visitor_id'],
      ] as const;
      const item = (
        type: string,
        session: string,
        identity: { external_id: string; email: string },
      ) => ({
        id: key('identify'),
        type,
        occurred_at: now - 5,
        ...(session === 'a visitor_id' ? { visitor_id: key('v-claims') } : {}),
        ...identity,
      });

      it.each(shapes)(
        '%s with %s: the user found by email takes the external_id for itself alone',
        async (type, session) => {
          const [ann, bob] = [`${key('ann')}@claims.test`, `${key('bob')}@claims.test`];
          const [annUser, bobUser] = [
            await createUser({ email: ann }),
            await createUser({ email: bob }),
          ];
          const externalId = key('ext-claims');
          const [first] = await ingest([
            item(type, session, { email: ann, external_id: externalId }),
          ]);
          expect(first).toMatchObject({ status: 'accepted', contact_id: annUser.id });
          await contact(annUser.id, (body) => body.external_id === externalId);

          const before = await countEvents();
          const [second] = await ingest([
            item(type, session, { email: bob, external_id: externalId }),
          ]);
          expect(second).toMatchObject({
            status: 'rejected',
            errors: [{ code: 'conflict', field: 'email' }],
          });
          expect(await countEvents()).toBe(before);
          expect(await streamTypes(bobUser.id)).toEqual(['UserCreated']);

          const taken = await service.request('/contacts', {
            method: 'POST',
            json: { external_id: externalId },
          });
          expect(taken.status).toBe(409);
          expect(await taken.text()).toContain(annUser.id);
          // The claim is the user's: changing its external_id frees the value at once.
          const changed = await service.request(`/contacts/${annUser.id}`, {
            method: 'PUT',
            json: { external_id: key('ext-claims-changed') },
          });
          expect(changed.status).toBe(200);
          const freed = await service.request('/contacts', {
            method: 'POST',
            json: { external_id: externalId },
          });
          expect(freed.status).toBe(200);
        },
      );

      it.each(shapes)(
        '%s with %s: the user found by external_id takes the email for itself alone',
        async (type, session) => {
          const [first, second] = [key('ext-mirror'), key('ext-mirror')];
          const [firstUser, secondUser] = [
            await createUser({ external_id: first }),
            await createUser({ external_id: second }),
          ];
          const email = `${key('fresh')}@claims.test`;
          const [taken] = await ingest([item(type, session, { external_id: first, email })]);
          expect(taken).toMatchObject({ status: 'accepted', contact_id: firstUser.id });

          const before = await countEvents();
          const [refused] = await ingest([item(type, session, { external_id: second, email })]);
          expect(refused).toMatchObject({
            status: 'rejected',
            errors: [{ code: 'conflict', field: 'email' }],
          });
          expect(await countEvents()).toBe(before);
          expect(await streamTypes(secondUser.id)).toEqual(['UserCreated']);

          const duplicate = await service.request('/contacts', { method: 'POST', json: { email } });
          expect(duplicate.status).toBe(409);
          expect(await duplicate.text()).toContain(firstUser.id);
          await contact(firstUser.id, (body) => body.email === email);
          const users = (await (
            await service.request('/contacts/search', {
              method: 'POST',
              json: { query: { field: 'email', operator: '=', value: email } },
            })
          ).json()) as { data: Array<{ id: string }> };
          expect(users.data.map((user) => user.id)).toEqual([firstUser.id]);
        },
      );
    });

    it('a late visitor.seen does not move last_seen_at back, and sightings are throttled', async () => {
      const visitorId = key('v-late');
      const [first] = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 1000,
          visitor_id: visitorId,
          context: { browser: 'chrome' },
        },
      ]);
      const id = first!.contact_id!;
      const results = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 400,
          visitor_id: visitorId,
          context: { browser: 'chrome' },
        },
        // Within the throttle window and the same context: no ContactSeen.
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 350,
          visitor_id: visitorId,
          context: { browser: 'chrome' },
        },
        // Late: older than last_seen_at.
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 900,
          visitor_id: visitorId,
          context: { browser: 'safari' },
        },
      ]);
      expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(await streamTypes(id)).toEqual(['VisitorRegistered', 'ContactSeen', 'ContactSeen']);
      const visitor = await eventually(async () => {
        const response = await service.request(`/visitors?user_id=${visitorId}`);
        const body =
          response.status === 200
            ? ((await response.json()) as { last_request_at: number })
            : undefined;
        return body?.last_request_at === now - 400 ? body : undefined;
      });
      expect(visitor).toMatchObject({ last_request_at: now - 400 });

      // Late, but reporting what no newer sighting did: recorded, filling in only that.
      const [late] = await ingest([
        {
          id: key('seen'),
          type: 'visitor.seen',
          occurred_at: now - 800,
          visitor_id: visitorId,
          context: { browser: 'safari', os: 'macOS', browser_language: 'fr' },
        },
      ]);
      expect(late).toMatchObject({ status: 'accepted', contact_id: id });
      expect(await streamTypes(id)).toEqual([
        'VisitorRegistered',
        'ContactSeen',
        'ContactSeen',
        'ContactSeen',
      ]);
      // A lead now, to read it through the Contacts API, which shows no visitor.
      await ingest([
        {
          id: key('lead'),
          type: 'conversation.started',
          occurred_at: now - 300,
          visitor_id: visitorId,
          conversation_id: key('c'),
        },
      ]);
      const filled = await contact(id);
      expect(filled).toMatchObject({
        last_seen_at: now - 400,
        browser: 'chrome',
        os: 'macOS',
        browser_language: 'fr',
      });
    });

    it('a late attributes update changes only the fields nothing newer wrote; the API writes as of now', async () => {
      const visitorId = key('v-late-attributes');
      const [lead] = await ingest([
        {
          id: key('c'),
          type: 'conversation.started',
          occurred_at: now - 1000,
          visitor_id: visitorId,
          conversation_id: key('conversation'),
        },
      ]);
      const id = lead!.contact_id!;
      const update = (at: number, attributes: Record<string, unknown>) => ({
        id: key('update'),
        type: 'contact.attributes_updated',
        occurred_at: at,
        visitor_id: visitorId,
        attributes,
      });
      await ingest([update(now - 100, { name: 'Newer' })]);
      await ingest([update(now - 500, { name: 'Older', phone: '+353 1 555' })]);
      expect(await contact(id, (body) => body.phone === '+353 1 555')).toMatchObject({
        name: 'Newer',
        phone: '+353 1 555',
      });
      // An item dated ahead of the clock counts as written now: the API's write after it wins.
      await ingest([update(now + 200, { name: 'Ahead' })]);
      const written = await service.request(`/contacts/${id}`, {
        method: 'PUT',
        json: { name: 'From the API' },
      });
      expect(((await written.json()) as { name: string }).name).toBe('From the API');
    });

    it('a visitor_id whose contact was deleted, or merged into a user deleted since, starts a new visitor', async () => {
      const erasedVisitor = key('v-erased');
      const [first] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 50, visitor_id: erasedVisitor },
      ]);
      const erased = await service.request(`/contacts/${first!.contact_id}`, {
        method: 'DELETE',
      });
      expect(erased.status).toBe(200);
      const [again] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 40, visitor_id: erasedVisitor },
      ]);
      expect(again).toMatchObject({ status: 'accepted' });
      expect(again!.contact_id).not.toBe(first!.contact_id);
      const visitor = await service.request(`/visitors?user_id=${erasedVisitor}`);
      expect(await visitor.json()).toMatchObject({ id: again!.contact_id });
      expect((await service.request(`/contacts/${first!.contact_id}`)).status).toBe(404);

      // Logged in to a user who is deleted afterwards: the browser's next item is a new lead.
      const loggedOut = key('v-logged-out');
      const user = (await (
        await service.request('/contacts', { method: 'POST', json: { external_id: loggedOut } })
      ).json()) as { id: string };
      const [login] = await ingest([
        {
          id: key('login'),
          type: 'contact.logged_in',
          occurred_at: now - 30,
          visitor_id: loggedOut,
          external_id: loggedOut,
        },
      ]);
      expect(login).toMatchObject({ status: 'accepted', contact_id: user.id });
      expect((await service.request(`/contacts/${user.id}`, { method: 'DELETE' })).status).toBe(
        200,
      );
      const [talk] = await ingest([
        {
          id: key('talk'),
          type: 'conversation.started',
          occurred_at: now - 20,
          visitor_id: loggedOut,
          conversation_id: key('conversation'),
        },
      ]);
      expect(talk).toMatchObject({ status: 'accepted' });
      expect(talk!.contact_id).not.toBe(user.id);
      expect(await contact(talk!.contact_id!)).toMatchObject({ role: 'lead', external_id: null });
    });

    it("an item whose visitor's contact is deleted while it waits in the contact's queue starts the next visitor", async () => {
      const visitorId = key('v-deleted-meanwhile');
      const [first] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 50, visitor_id: visitorId },
      ]);
      const erased = first!.contact_id!;
      // The item finds the contact live, and its deletion lands before the item's own turn.
      const locator = service.app.get(ContactLocator);
      const locate = locator.locate.bind(locator);
      let deleted = false;
      jest.spyOn(locator, 'locate').mockImplementation(async (workspaceId, contactId, options) => {
        const located = await locate(workspaceId, contactId, options);
        if (contactId === erased && !deleted) {
          deleted = true;
          await service.app
            .get(CommandBus)
            .execute(new DeleteContactCommand('acme', erased, { actor: 'test' }));
        }
        return located;
      });
      try {
        const [tracked] = await ingest([
          {
            id: key('tracked'),
            type: 'event.tracked',
            occurred_at: now - 40,
            visitor_id: visitorId,
            event_name: 'deleted-meanwhile',
          },
        ]);
        expect(deleted).toBe(true);
        expect(tracked).toMatchObject({ status: 'accepted' });
        expect(tracked!.contact_id).not.toBe(erased);
      } finally {
        jest.restoreAllMocks();
      }
    });

    it("records any item's context as a sighting, not only a new visitor's or a visitor.seen's", async () => {
      const visitorId = key('v-context');
      const [seen] = await ingest([
        { id: key('seen'), type: 'visitor.seen', occurred_at: now - 600, visitor_id: visitorId },
      ]);
      const lead = seen!.contact_id!;
      const user = (await (
        await service.request('/contacts', { method: 'POST', json: { external_id: key('ctx') } })
      ).json()) as { id: string; external_id: string };
      const results = await ingest([
        {
          id: key('talk'),
          type: 'conversation.started',
          occurred_at: now - 500,
          visitor_id: visitorId,
          context: { browser: 'opera' },
        },
        {
          id: key('attrs'),
          type: 'contact.attributes_updated',
          occurred_at: now - 500,
          external_id: user.external_id,
          attributes: { name: 'Context User' },
          context: { os: 'mac', location: { country: 'Spain' } },
        },
      ]);
      expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted']);
      expect(await contact(lead, (body) => body.browser === 'opera')).toMatchObject({
        role: 'lead',
        browser: 'opera',
        last_seen_at: now - 500,
      });
      expect(
        await contact(user.id, (body) => body.os === 'mac' && body.name === 'Context User'),
      ).toMatchObject({
        os: 'mac',
        location: expect.objectContaining({ country: 'Spain' }) as unknown,
        last_seen_at: now - 500,
      });
    });
  });

  describe('concurrency', () => {
    it('items and API commands on one contact at once all take effect', async () => {
      const externalId = key('busy');
      const user = (await (
        await service.request('/contacts', { method: 'POST', json: { external_id: externalId } })
      ).json()) as { id: string };
      const rounds = Array.from({ length: 40 }, (_, index) => index);
      const [batches, events] = await Promise.all([
        Promise.all(
          rounds.map((index) =>
            ingest([
              {
                id: key('busy-item'),
                type: 'contact.attributes_updated',
                occurred_at: now - 100 + index,
                external_id: externalId,
                attributes: { name: `Busy ${index}` },
              },
            ]),
          ),
        ),
        Promise.all(
          rounds.map((index) =>
            service.request('/events', {
              method: 'POST',
              json: { id: user.id, event_name: `busy-${index}`, created_at: now - 100 + index },
            }),
          ),
        ),
      ]);
      expect(batches.flat().map((result) => result.status)).toEqual(rounds.map(() => 'accepted'));
      expect(events.map((response) => response.status)).toEqual(rounds.map(() => 202));
      const types = await streamTypes(user.id);
      expect(types.filter((type) => type === 'DataEventTracked')).toHaveLength(40);
      expect(types.filter((type) => type === 'ContactUpdated')).toHaveLength(40);
    });
  });

  describe('idempotency', () => {
    it('the same key twice in one batch and again in a later batch is a duplicate that changes nothing', async () => {
      const visitorId = key('v-idem');
      const item = {
        id: key('idem'),
        type: 'conversation.started',
        occurred_at: now - 10,
        visitor_id: visitorId,
      };
      const noop = {
        id: key('idem-noop'),
        type: 'event.tracked',
        occurred_at: now - 10,
        visitor_id: visitorId,
        event_name: 'e',
      };
      const repeat = { ...noop, id: key('idem-noop') };
      const first = await ingest([item, item, noop, repeat, noop]);
      expect(first.map((result) => result.status)).toEqual([
        'accepted',
        'duplicate',
        'accepted',
        'accepted',
        'duplicate',
      ]);
      const contactId = first[0]!.contact_id;
      expect(first.every((result) => result.contact_id === contactId)).toBe(true);
      const count = await countEvents();
      const again = await ingest([item, noop, repeat]);
      expect(again.map((result) => result.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(again.every((result) => result.contact_id === contactId)).toBe(true);
      expect(await countEvents()).toBe(count);
      // The effect carries the completion id derived from workspace and key.
      const ids: string[] = [];
      for await (const event of store.readStream(contactStreamId('acme', contactId!)))
        ids.push(event.id);
      expect(ids).toContain(completionIdOf('acme', item.id));
    });

    it('the same key sent again for another contact is a duplicate too, in the batch and later', async () => {
      const item = (visitorId: string) => ({
        id: 'key-reused-for-another-visitor',
        type: 'visitor.seen',
        occurred_at: now - 10,
        visitor_id: visitorId,
      });
      const [first, sameBatch] = await ingest([item('v-key-first'), item('v-key-second')]);
      expect(first).toMatchObject({ status: 'accepted' });
      expect(sameBatch).toMatchObject({ status: 'duplicate', contact_id: first!.contact_id });
      const count = await countEvents();
      const [later] = await ingest([item('v-key-third')]);
      expect(later).toMatchObject({ status: 'duplicate', contact_id: first!.contact_id });
      expect(await countEvents()).toBe(count);
      for (const visitorId of ['v-key-second', 'v-key-third']) {
        expect((await service.request(`/visitors?user_id=${visitorId}`)).status).toBe(404);
      }
    });

    it('answers an item whose append was stored but not acknowledged server_error, alone, and its resend duplicate', async () => {
      const visitorId = key('v-lost-ack');
      const [registered] = await ingest([
        {
          id: key('lost-ack-seen'),
          type: 'visitor.seen',
          occurred_at: now - 20,
          visitor_id: visitorId,
        },
      ]);
      const stream = contactStreamId('acme', registered!.contact_id!);
      const append = store.append.bind(store);
      const appendSpy = jest
        .spyOn(store, 'append')
        .mockImplementation(async (streamId, events, options) => {
          const written = await append(streamId, events, options);
          // The store went away after the commit, before its answer reached the service.
          if (streamId === stream) throw new Error('connection reset');
          return written;
        });
      const lost = {
        id: key('lost-ack'),
        type: 'conversation.started',
        occurred_at: now - 10,
        visitor_id: visitorId,
      };
      const other = {
        id: key('lost-ack-other'),
        type: 'visitor.seen',
        occurred_at: now - 10,
        visitor_id: key('v-bystander'),
      };
      let results: IngestionResultJson[];
      try {
        results = await ingest([lost, other]);
      } finally {
        appendSpy.mockRestore();
      }
      expect(results[0]).toEqual({
        id: lost.id,
        status: 'rejected',
        errors: [
          {
            code: 'server_error',
            message:
              'The item could not be processed, and may have been stored before the failure: send it again (a stored item is answered duplicate)',
          },
        ],
      });
      expect(results[1]).toMatchObject({ id: other.id, status: 'accepted' });
      const count = await countEvents();
      const [again] = await ingest([lost]);
      expect(again).toEqual({
        id: lost.id,
        status: 'duplicate',
        contact_id: registered!.contact_id,
      });
      expect(await countEvents()).toBe(count);
    });

    it('the same key in two concurrent batches takes effect once', async () => {
      const item = {
        id: key('idem-race'),
        type: 'conversation.started',
        occurred_at: now - 10,
        visitor_id: key('v-race'),
      };
      const [a, b] = await Promise.all([ingest([item]), ingest([item])]);
      expect([a[0]!.status, b[0]!.status].sort()).toEqual(['accepted', 'duplicate']);
      expect(await streamTypes(a[0]!.contact_id!)).toEqual([
        'VisitorRegistered',
        'ConversationStarted',
        'VisitorBecameLead',
      ]);
    });
  });

  describe('validation', () => {
    it('accepts the good items of a batch and names each problem of the bad ones', async () => {
      const results = await ingest([
        { id: key('good'), type: 'visitor.seen', occurred_at: now - 5, visitor_id: key('v-good') },
        'not an object',
        { type: 'visitor.seen', occurred_at: now, visitor_id: 'v' },
        { id: key('bad'), type: 'visitor.jumped', occurred_at: now, visitor_id: 'v' },
        {
          id: key('bad'),
          type: 'visitor.seen',
          occurred_at: now + 3600,
          visitor_id: 'v',
          colour: 'red',
        },
        { id: key('bad'), type: 'visitor.seen', occurred_at: 'yesterday' },
        {
          id: key('bad'),
          type: 'event.tracked',
          occurred_at: now,
          visitor_id: 'v',
          metadata: { a: [1] },
        },
        {
          id: key('bad'),
          type: 'contact.attributes_updated',
          occurred_at: now,
          visitor_id: 'v',
          attributes: { name: 3, email: 'x@y.z', shoe: 1, custom_attributes: { plan: { a: 1 } } },
        },
        {
          id: key('bad'),
          type: 'contact.logged_in',
          occurred_at: now,
          visitor_id: 'v',
          email: 'not-an-email',
        },
        {
          id: key('bad'),
          type: 'visitor.seen',
          occurred_at: now,
          visitor_id: 'v',
          context: { location: { planet: 'Mars' }, browser: 7 },
        },
        {
          id: key('good'),
          type: 'event.tracked',
          occurred_at: now - 5,
          visitor_id: key('v-good'),
          event_name: 'ok',
        },
      ]);
      const fields = (index: number) => results[index]!.errors?.map((error) => error.field);
      expect(results.map((result) => result.status)).toEqual([
        'accepted',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'accepted',
      ]);
      expect(fields(1)).toEqual(['events[1]']);
      expect(results[2]).toMatchObject({
        id: null,
        errors: [{ code: 'parameter_not_found', field: 'id' }],
      });
      expect(fields(3)).toEqual(['type']);
      expect(fields(4)).toEqual(['colour', 'occurred_at']);
      expect(fields(5)).toEqual(['occurred_at', 'visitor_id']);
      expect(fields(6)).toEqual(['metadata.a', 'event_name']);
      expect(fields(7)).toEqual([
        'attributes.name',
        'attributes.email',
        'attributes.shoe',
        'attributes.custom_attributes.plan',
      ]);
      expect(fields(8)).toEqual(['email']);
      expect(fields(9)).toEqual(['context.location.planet', 'context.browser']);
    });

    it('answers with X-Position: a read sending it as X-Min-Position sees the batch', async () => {
      const response = await service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: [
            {
              id: key('position'),
              type: 'conversation.started',
              occurred_at: now - 5,
              visitor_id: key('v-position'),
              conversation_id: 'c-position',
            },
          ],
        },
      });
      const position = response.headers.get('x-position');
      expect(position).toMatch(/^\d+$/);
      const { results } = (await response.json()) as { results: IngestionResultJson[] };
      const read = await service.request(`/contacts/${results[0]!.contact_id}`, {
        headers: { 'x-min-position': position! },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ role: 'lead' });
    });

    it('rejects an item holding text PostgreSQL cannot store, and only that item', async () => {
      const [bad, halfEmoji, good] = await ingest([
        {
          id: key('nul'),
          type: 'visitor.seen',
          occurred_at: now,
          visitor_id: key('v'),
          context: { browser: 'fire\u0000fox' },
        },
        {
          id: key('surrogate'),
          type: 'event.tracked',
          occurred_at: now,
          visitor_id: key('v'),
          event_name: 'ordered',
          metadata: { note: 'half \ud83d' },
        },
        { id: key('nul'), type: 'visitor.seen', occurred_at: now, visitor_id: key('v') },
      ]);
      expect(bad).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'parameter_invalid', field: 'context.browser' }],
      });
      expect(halfEmoji).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'parameter_invalid', field: 'metadata.note' }],
      });
      expect(good).toMatchObject({ status: 'accepted' });
    });

    it('refuses metadata holding an integer JSON parsing would round, on both routes, storing nothing', async () => {
      const visitorId = key('big-v');
      const [lead] = await ingest([
        { id: key('big-lead'), type: 'visitor.seen', occurred_at: now, visitor_id: visitorId },
      ]);
      const before = await countEvents();
      const response = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Written out: the number would be rounded before it was sent otherwise.
        body: `{"events": [{"id": "${key('big')}", "type": "event.tracked", "occurred_at": ${now}, "visitor_id": "${visitorId}", "event_name": "e", "metadata": {"big": 9007199254740993}}]}`,
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as { results: IngestionResultJson[] };
      expect(results).toMatchObject([
        { status: 'rejected', errors: [{ code: 'parameter_invalid', field: 'metadata.big' }] },
      ]);
      const direct = await service.request('/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"id": "${lead!.contact_id!}", "event_name": "e", "created_at": ${now}, "metadata": {"ok": 1, "huge": 12345678901234567890}}`,
      });
      expect(direct.status).toBe(400);
      expect(await direct.json()).toMatchObject({
        errors: [{ code: 'parameter_invalid', field: 'metadata.huge' }],
      });
      expect(await countEvents()).toBe(before);
    });

    it('rejects an item with a __proto__ key, naming where, and only that item', async () => {
      const good = {
        id: key('proto-good'),
        type: 'visitor.seen',
        occurred_at: now,
        visitor_id: key('pv'),
      };
      const response = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Written out: an object literal with a __proto__ key sets its prototype instead.
        body: `{"events": [${JSON.stringify(good)},
          {"id": "${key('proto-1')}", "type": "event.tracked", "occurred_at": ${now}, "visitor_id": "${key('pv')}", "event_name": "e", "metadata": {"__proto__": "x"}},
          {"id": "${key('proto-2')}", "type": "contact.attributes_updated", "occurred_at": ${now}, "visitor_id": "${key('pv')}", "attributes": {"custom_attributes": {"__proto__": {"plan": "pro"}}}},
          {"id": "${key('proto-3')}", "type": "visitor.seen", "occurred_at": ${now}, "visitor_id": "${key('pv')}", "__proto__": {}}]}`,
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as { results: IngestionResultJson[] };
      expect(results.map((result) => [result.status, result.errors?.[0]?.field])).toEqual([
        ['accepted', undefined],
        ['rejected', 'metadata.__proto__'],
        ['rejected', 'attributes.custom_attributes.__proto__'],
        ['rejected', '__proto__'],
      ]);
    });

    it('rejects an item nested deeper than any item can be, and only that item, however deep', async () => {
      const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const item = (id: string, metadata: string) =>
        `{"id": "${key(id)}", "type": "event.tracked", "occurred_at": ${now}, "visitor_id": "${key('dv')}", "event_name": "e", "metadata": ${metadata}}`;
      const before = await countEvents();
      const response = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"events": [${item('deep-ok', '{"plan": "pro"}')}, ${item('deep-32', nested(30))}, ${item('deep-20000', nested(20_000))}]}`,
      });
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as { results: IngestionResultJson[] };
      expect(results.map((result) => [result.status, result.errors?.[0]?.field])).toEqual([
        ['accepted', undefined],
        ['rejected', 'metadata'],
        ['rejected', 'metadata'],
      ]);
      expect(results[1]!.errors![0]!.message).toMatch(/more than 30 levels deep, in metadata$/);
      expect(await countEvents()).toBeGreaterThan(before);
      // The envelope itself is still held to the body's limit.
      const deepEnvelope = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"events": [], "other": ${nested(40)}}`,
      });
      expect(deepEnvelope.status).toBe(400);
    });

    it('rejects an item holding an object of more than 1000 members as one problem, and only that item', async () => {
      const members = (count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 1]));
      const item = (id: string, extra: Record<string, unknown>) => ({
        id: key(id),
        type: 'contact.attributes_updated',
        occurred_at: now,
        visitor_id: key('cv'),
        ...extra,
      });
      const results = await ingest([
        item('crowd-ok', { attributes: { name: 'Fine' } }),
        item('crowd-attrs', { attributes: { custom_attributes: members(1001) } }),
        item('crowd-item', members(60_000)),
      ]);
      expect(results.map((result) => [result.status, result.errors])).toEqual([
        ['accepted', undefined],
        ['rejected', [expect.objectContaining({ field: 'attributes.custom_attributes' })]],
        ['rejected', [expect.objectContaining({ field: 'events[2]' })]],
      ]);
      expect(results[1]!.errors![0]!.message).toMatch(/more than 1000 members/);
      // An item wrong in hundreds of ways names the first ten.
      const [wrongEverywhere] = await ingest([item('crowd-500', members(500))]);
      expect(wrongEverywhere!.status).toBe('rejected');
      expect(wrongEverywhere!.errors).toHaveLength(10);
      // The batch's envelope is held to the limit as any body is: one error.
      const envelope = await service.request('/messenger/events', {
        method: 'POST',
        json: { events: [], ...members(60_000) },
      });
      expect(envelope.status).toBe(400);
      const { errors } = (await envelope.json()) as { errors: unknown[] };
      expect(errors).toHaveLength(1);
    });

    it('refuses a body that is not UTF-8 whole, rather than reading its bytes as other text', async () => {
      const before = await countEvents();
      const item = (id: string) =>
        Buffer.concat([
          Buffer.from(`{"events": [{"id": "${key(id)}`),
          Buffer.from([0xff]),
          Buffer.from(`", "type": "visitor.seen", "occurred_at": ${now}, "visitor_id": "v"}]}`),
        ]);
      const response = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: item('latin'),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'parameter_invalid', message: 'The body is not valid UTF-8' }],
      });
      expect(await countEvents()).toBe(before);
    });

    it('writes only the custom attributes marked messenger_writable, naming any other', async () => {
      for (const [name, messengerWritable] of [
        ['messenger_plan', true],
        ['billing_tier', false],
      ] as const) {
        const created = await service.request('/data_attributes', {
          method: 'POST',
          json: {
            name,
            model: 'contact',
            data_type: 'string',
            messenger_writable: messengerWritable,
          },
        });
        expect(created.status).toBe(200);
      }
      const visitorId = key('v-writable');
      const update = (id: string, custom: Record<string, string>) => ({
        id: key(id),
        type: 'conversation.started',
        occurred_at: now,
        visitor_id: visitorId,
        conversation_id: key('c'),
        attributes: { custom_attributes: custom },
      });
      const [refused, written] = await ingest([
        update('tier', { messenger_plan: 'pro', billing_tier: 'gold' }),
        update('plan', { messenger_plan: 'pro' }),
      ]);
      expect(refused).toMatchObject({
        status: 'rejected',
        errors: [{ code: 'parameter_invalid', field: 'attributes.custom_attributes.billing_tier' }],
      });
      expect(written).toMatchObject({ status: 'accepted' });
      const lead = await contact(written!.contact_id!);
      expect(lead.custom_attributes).toEqual({ messenger_plan: 'pro' });
      // The API writes it all the same.
      const updated = await service.request(`/contacts/${written!.contact_id!}`, {
        method: 'PUT',
        json: { custom_attributes: { billing_tier: 'gold' } },
      });
      expect(updated.status).toBe(200);
    });

    it('names a custom attribute the workspace does not define', async () => {
      const [result] = await ingest([
        {
          id: key('custom'),
          type: 'contact.attributes_updated',
          occurred_at: now,
          visitor_id: key('v'),
          attributes: { custom_attributes: { undefined_attribute: 1 } },
        },
      ]);
      expect(result).toMatchObject({
        status: 'rejected',
        errors: [{ field: 'attributes.custom_attributes.undefined_attribute' }],
      });
    });

    it.each([
      ['no events array', { items: [] }, 'events'],
      ['events not an array', { events: {} }, 'events'],
      ['more than 500 items', { events: Array.from({ length: 501 }, () => ({})) }, 'events'],
    ])('refuses a request whole when it is not a batch: %s', async (_name, body, field) => {
      const response = await service.request('/messenger/events', { method: 'POST', json: body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: 'error.list',
        errors: expect.arrayContaining([expect.objectContaining({ field })]),
      });
    });

    it('refuses a body that is not JSON, or too large, with the error envelope', async () => {
      const notJson = await service.request('/messenger/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"events": [',
      });
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ type: 'error.list' });
      const tooLarge = await service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: [
            {
              id: 'x',
              type: 'visitor.seen',
              occurred_at: now,
              visitor_id: 'x'.repeat(1024 * 1024),
            },
          ],
        },
      });
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ type: 'error.list' });
    });
  });
});

describe('POST /messenger/events backpressure', () => {
  let service: TestApp;
  afterAll(() => service.close());

  it('answers 429 with Retry-After while the read models lag beyond the bound, and accepts again once they caught up', async () => {
    service = await startTestApp({ INGESTION_MAX_LAG_EVENTS: '2' });
    const runner = service.app.get<ProjectionRunner>(PROJECTION_RUNNER);
    const now = Math.floor(Date.now() / 1000);
    const batch = (label: string) => ({
      events: Array.from({ length: 3 }, (_, index) => ({
        id: `${label}-${index}`,
        type: 'visitor.seen',
        occurred_at: now,
        visitor_id: `${label}-${index}`,
      })),
    });
    await runner.stop();
    expect(
      (await service.request('/messenger/events', { method: 'POST', json: batch('a') })).status,
    ).toBe(200);
    const refused = await eventually(async () => {
      const response = await service.request('/messenger/events', {
        method: 'POST',
        json: batch('b'),
      });
      return response.status === 429 ? response : undefined;
    });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(now);
    expect(await refused.json()).toMatchObject({
      type: 'error.list',
      errors: [{ code: 'rate_limit_exceeded' }],
    });
    await runner.start();
    await eventually(async () => {
      const response = await service.request('/messenger/events', {
        method: 'POST',
        json: batch('c'),
      });
      return response.status === 200 ? response : undefined;
    });
  });
});

describe("POST /messenger/events backpressure on the read models' pace", () => {
  let service: TestApp;
  afterAll(() => service.close());

  // On PostgreSQL the read models applied a backlog just under INGESTION_MAX_LAG_EVENTS slower than
  // READ_YOUR_WRITES_TIMEOUT_MS: ingestion went on while nearly every API write answered 503.
  it('answers 429 while the read models would take longer than INGESTION_MAX_LAG_MS to catch up, though far fewer events than INGESTION_MAX_LAG_EVENTS wait', async () => {
    service = await startTestApp({ INGESTION_MAX_LAG_MS: '100' });
    const apply = contactsProjection.apply.bind(contactsProjection);
    const slowly = jest
      .spyOn(contactsProjection, 'apply')
      .mockImplementation(async (events, db, tables) => {
        await delay(20 * events.length);
        return apply(events, db, tables);
      });
    const now = Math.floor(Date.now() / 1000);
    let batches = 0;
    const post = () => {
      batches += 1;
      return service.request('/messenger/events', {
        method: 'POST',
        json: {
          events: Array.from({ length: 10 }, (_, index) => ({
            id: `paced-${batches}-${index}`,
            type: 'visitor.seen',
            occurred_at: now,
            visitor_id: `paced-${batches}-${index}`,
          })),
        },
      });
    };
    try {
      const refused = await eventually(
        async () => {
          const response = await post();
          return response.status === 429 ? response : undefined;
        },
        20_000,
        'a 429',
      );
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('x-ratelimit-limit')).toBe('50000');
      expect(await refused.json()).toMatchObject({ errors: [{ code: 'rate_limit_exceeded' }] });
      expect(batches).toBeLessThan(50_000 / 10);
    } finally {
      slowly.mockRestore();
    }
    await eventually(
      async () => {
        const response = await post();
        return response.status === 200 ? response : undefined;
      },
      20_000,
      'a 200',
    );
  });
});
