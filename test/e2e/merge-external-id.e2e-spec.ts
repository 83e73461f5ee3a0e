import { startEsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { postgresAvailability, postgresRequired } from '../support/postgres';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

interface Contact {
  id: string;
  external_id: string | null;
  merge_history?: Array<{ merged_at: number }>;
}

/** The stores a merge runs on: the embedded ones, PostgreSQL read models, EventStoreDB. */
const setups: Array<[string, () => Promise<TestApp>]> = [
  ['embedded stores', () => startTestApp()],
  [
    'EventStoreDB',
    async () => {
      const standIn = await startEsdbStandIn();
      const app = await startTestApp({ EVENTSTORE_CONNECTION_STRING: standIn.connectionString });
      return {
        ...app,
        close: async () => {
          await app.close();
          await standIn.close();
        },
      };
    },
  ],
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
});
