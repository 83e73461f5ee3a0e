import { postgresAvailability, postgresRequired } from '../support/postgres';
import {
  startTestApp,
  startTestAppOnPostgres,
  startTestAppOnStandIn,
  type TestApp,
} from '../support/test-app';

interface Contact {
  id: string;
  external_id: string | null;
  merge_history?: Array<{ merged_at: number }>;
}

/** The stores a merge runs on: the embedded ones, PostgreSQL read models, EventStoreDB. */
const setups: Array<[string, () => Promise<TestApp>]> = [
  ['embedded stores', () => startTestApp()],
  ['EventStoreDB', () => startTestAppOnStandIn()],
];
if (postgresAvailability().reachable || postgresRequired())
  setups.push(['PostgreSQL read models', () => startTestAppOnPostgres()]);

/** domain.md, Merge: the source fills what the target lacks, its external_id included. */
describe.each(setups)("a merge and the lead's external_id (%s)", (_store, start) => {
  let service: TestApp;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(() => service.close());

  const now = Math.floor(Date.now() / 1000);
  let sequence = 0;
  const unique = (label: string) => `${label}-${now}-${(sequence += 1)}`;

  async function call<T>(path: string, version: string, method = 'GET', json?: unknown) {
    const response = await service.request(path, {
      method,
      headers: { 'Intercom-Version': version },
      ...(json !== undefined ? { json } : {}),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as T,
    };
  }

  /** A user that signed up (messenger) long before the merge, so that as_of can read it before. */
  async function userSignedUpEarlier(version: string): Promise<string> {
    const { body } = await call<{ results: Array<{ status: string; contact_id: string }> }>(
      '/messenger/events',
      version,
      'POST',
      {
        events: [
          {
            id: unique('signup'),
            type: 'contact.signed_up',
            occurred_at: now - 1_000,
            email: `${unique('user')}@merge-ext.test`,
          },
        ],
      },
    );
    expect(body.results[0]?.status).toBe('accepted');
    return body.results[0]!.contact_id;
  }

  const merge = (from: string, into: string, version: string) =>
    call<Contact>('/contacts/merge?include_merge_history=true', version, 'POST', {
      from,
      into,
      skip_duplicate_validation: true,
    });

  it.each(['2.14', '2.16'])(
    'gives a user without one the lead external_id: found by it and searched by it, and no one else can take it (%s)',
    async (version) => {
      const userId = await userSignedUpEarlier(version);
      const externalId = unique('lg3');
      const lead = await call<Contact>('/contacts', version, 'POST', {
        role: 'lead',
        external_id: externalId,
      });
      expect(lead.status).toBe(200);

      const merged = await merge(lead.body.id, userId, version);
      expect(merged.status).toBe(200);
      expect(merged.body).toMatchObject({ id: userId, external_id: externalId });

      const found = await call<Contact>(`/contacts/find_by_external_id/${externalId}`, version);
      expect([found.status, found.body.id, found.body.external_id]).toEqual([
        200,
        userId,
        externalId,
      ]);
      expect((await call<Contact>(`/contacts/${userId}`, version)).body.external_id).toBe(
        externalId,
      );
      const searched = await call<{ data: Contact[] }>('/contacts/search', version, 'POST', {
        query: { field: 'external_id', operator: '=', value: externalId },
      });
      expect(searched.body.data.map((contact) => contact.id)).toEqual([userId]);

      const taken = await call<{ errors: Array<{ code: string; message: string }> }>(
        '/contacts',
        version,
        'POST',
        { external_id: externalId },
      );
      expect(taken.status).toBe(409);
      expect(taken.body.errors[0]).toMatchObject({ code: 'conflict' });
      expect(taken.body.errors[0]?.message).toContain(userId);

      const mergedAt = merged.body.merge_history![0]!.merged_at;
      const before = await call<Contact>(`/contacts/${userId}?as_of=${mergedAt - 1}`, version);
      const after = await call<Contact>(`/contacts/${userId}?as_of=${mergedAt}`, version);
      expect([before.status, before.body.external_id]).toEqual([200, null]);
      expect([after.status, after.body.external_id]).toEqual([200, externalId]);
      const timeline = await call<{ data: Array<{ event_type: string; summary: string }> }>(
        `/contacts/${userId}/timeline`,
        version,
      );
      expect(
        timeline.body.data.find((entry) => entry.event_type === 'LeadMergeAbsorbed'),
      ).toMatchObject({
        summary: `Absorbed the lead ${lead.body.id} with external_id`,
      });
    },
  );

  it("leaves a user's own external_id be; the lead's answers 410 with a Link on 2.16 and 404 on 2.14 until it is claimed again", async () => {
    const own = unique('own');
    const user = await call<Contact>('/contacts', '2.16', 'POST', { external_id: own });
    const leadExternalId = unique('lead-ext');
    const lead = await call<Contact>('/contacts', '2.16', 'POST', {
      role: 'lead',
      external_id: leadExternalId,
    });

    const merged = await merge(lead.body.id, user.body.id, '2.16');
    expect(merged.body).toMatchObject({ id: user.body.id, external_id: own });

    const gone = await call<{ errors: Array<{ code: string }> }>(
      `/contacts/find_by_external_id/${leadExternalId}`,
      '2.16',
    );
    expect(gone.status).toBe(410);
    expect(gone.body.errors[0]?.code).toBe('contact_merged');
    expect(gone.headers.get('link')).toBe(`</contacts/${user.body.id}>; rel="canonical"`);
    const notFound = await call<{ errors: Array<{ code: string }> }>(
      `/contacts/find_by_external_id/${leadExternalId}`,
      '2.14',
    );
    expect([notFound.status, notFound.body.errors[0]?.code]).toEqual([404, 'not_found']);

    // The merged lead holds it no more: a new contact may take it, and is then the one found.
    const again = await call<Contact>('/contacts', '2.16', 'POST', { external_id: leadExternalId });
    expect(again.status).toBe(200);
    const found = await call<Contact>(`/contacts/find_by_external_id/${leadExternalId}`, '2.16');
    expect([found.status, found.body.id]).toEqual([200, again.body.id]);
  });

  /** A user keeping its own external_id, with a lead holding `leadExternalId` merged into it. */
  async function leadMergedIntoAUserKeepingItsOwn(): Promise<{
    user: string;
    lead: string;
    leadExternalId: string;
  }> {
    const user = await call<Contact>('/contacts', '2.16', 'POST', { external_id: unique('own') });
    const leadExternalId = unique('lead-ext');
    const lead = await call<Contact>('/contacts', '2.16', 'POST', {
      role: 'lead',
      external_id: leadExternalId,
    });
    const merged = await merge(lead.body.id, user.body.id, '2.16');
    expect([merged.status, merged.body.external_id]).toEqual([200, user.body.external_id]);
    expect((await findByExternalId(leadExternalId, '2.16')).status).toBe(410);
    return { user: user.body.id, lead: lead.body.id, leadExternalId };
  }

  const findByExternalId = (externalId: string, version: string) =>
    call<Contact & { errors?: Array<{ code: string }> }>(
      `/contacts/find_by_external_id/${externalId}`,
      version,
    );

  /** 404 `not_found` on both versions, with no Link to anyone. */
  async function expectNotFound(externalId: string): Promise<void> {
    for (const version of ['2.14', '2.16']) {
      const answer = await findByExternalId(externalId, version);
      expect([version, answer.status, answer.body.errors?.[0]?.code]).toEqual([
        version,
        404,
        'not_found',
      ]);
      expect(answer.headers.get('link')).toBeNull();
    }
  }

  it("answers 404 for a merged lead's external_id once a contact that claimed it since changes it", async () => {
    const { user, lead, leadExternalId } = await leadMergedIntoAUserKeepingItsOwn();

    const claimant = await call<Contact>('/contacts', '2.16', 'POST', {
      external_id: leadExternalId,
    });
    expect(claimant.status).toBe(200);
    const held = await findByExternalId(leadExternalId, '2.16');
    expect([held.status, held.body.id]).toEqual([200, claimant.body.id]);

    const changed = await call<Contact>(`/contacts/${claimant.body.id}`, '2.16', 'PUT', {
      external_id: unique('elsewhere'),
    });
    expect(changed.status).toBe(200);
    await expectNotFound(leadExternalId);
    // The lead's id is merged as before: only the value moved on.
    const leadItself = await call<Contact>(`/contacts/${lead}`, '2.16');
    expect([leadItself.status, leadItself.headers.get('link')]).toEqual([
      410,
      `</contacts/${user}>; rel="canonical"`,
    ]);
  });

  it("answers 404 for a merged lead's external_id once a contact given it since is deleted; archived, it still holds it", async () => {
    const { leadExternalId } = await leadMergedIntoAUserKeepingItsOwn();

    const other = await call<Contact>('/contacts', '2.16', 'POST', {
      email: `${unique('other')}@merge-ext.test`,
    });
    const given = await call<Contact>(`/contacts/${other.body.id}`, '2.16', 'PUT', {
      external_id: leadExternalId,
    });
    expect(given.status).toBe(200);
    const archived = await call<Contact & { archived: boolean }>(
      `/contacts/${other.body.id}/archive`,
      '2.16',
      'POST',
    );
    expect(archived.status).toBe(200);
    const held = await findByExternalId(leadExternalId, '2.16');
    expect([held.status, held.body.id]).toEqual([200, other.body.id]);

    const deleted = await call<{ deleted: boolean }>(
      `/contacts/${other.body.id}`,
      '2.16',
      'DELETE',
    );
    expect([deleted.status, deleted.body.deleted]).toEqual([200, true]);
    await expectNotFound(leadExternalId);
  });

  it("answers 404 for a lead's external_id its user took in the merge and has changed since", async () => {
    const user = await call<Contact>('/contacts', '2.16', 'POST', {
      email: `${unique('user')}@merge-ext.test`,
    });
    const leadExternalId = unique('lead-ext');
    const lead = await call<Contact>('/contacts', '2.16', 'POST', {
      role: 'lead',
      external_id: leadExternalId,
    });
    const merged = await merge(lead.body.id, user.body.id, '2.16');
    expect(merged.body.external_id).toBe(leadExternalId);

    const changed = await call<Contact>(`/contacts/${user.body.id}`, '2.16', 'PUT', {
      external_id: unique('changed'),
    });
    expect(changed.status).toBe(200);
    await expectNotFound(leadExternalId);
  });

  it('answers 410 naming the latest merge when a lead that claimed the value since is merged too', async () => {
    const { leadExternalId } = await leadMergedIntoAUserKeepingItsOwn();
    const secondLead = await call<Contact>('/contacts', '2.16', 'POST', {
      role: 'lead',
      external_id: leadExternalId,
    });
    expect(secondLead.status).toBe(200);
    const secondUser = await call<Contact>('/contacts', '2.16', 'POST', {
      external_id: unique('own'),
    });
    expect((await merge(secondLead.body.id, secondUser.body.id, '2.16')).status).toBe(200);

    const gone = await findByExternalId(leadExternalId, '2.16');
    expect([gone.status, gone.headers.get('link')]).toEqual([
      410,
      `</contacts/${secondUser.body.id}>; rel="canonical"`,
    ]);
  });

  it("answers 404 for a merged lead's external_id once its user is deleted, as the lead's id does", async () => {
    const { user, lead, leadExternalId } = await leadMergedIntoAUserKeepingItsOwn();

    expect((await call(`/contacts/${user}`, '2.16', 'DELETE')).status).toBe(200);
    await expectNotFound(leadExternalId);
    expect((await call(`/contacts/${lead}`, '2.16')).status).toBe(404);
  });
});
