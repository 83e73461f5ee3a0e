import { eventually } from '../support/eventually';
import type { IngestionResultJson } from '../support/messenger-batches';
import { postgresAvailability, postgresRequired } from '../support/postgres';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

const setups: Array<[string, () => Promise<TestApp>]> = [['SQLite', () => startTestApp()]];
if (postgresAvailability().reachable || postgresRequired())
  setups.push(['PostgreSQL', () => startTestAppOnPostgres()]);

interface Funnel {
  readonly data: ReadonlyArray<{
    readonly leads: number;
    readonly users: number;
    readonly conversions: { readonly visitor_to_lead: number; readonly lead_to_user: number };
  }>;
}

/**
 * An email a visitor typed in the messenger before it signed up or logged in, reported after the
 * sign-up or log-in (README, `POST /messenger/events`, timeline and funnel rows; domain.md, Merge:
 * the target's values win): the outcome is the one of the same items in event-time order.
 */
describe.each(setups)('a late email.supplied from before a sign-up or log-in (%s)', (_, start) => {
  let service: TestApp;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(() => service.close());

  const now = Math.floor(Date.now() / 1000);
  let sequence = 0;
  const unique = (label: string) => `${label}-${now}-${(sequence += 1)}`;
  /** An item of the visitor session `v-<label>`, dated `at` seconds from `base`. */
  const sessionItem =
    (label: string, base: number) => (id: string, at: number, fields: Record<string, unknown>) => ({
      id: `${label}-${id}`,
      occurred_at: base + at,
      visitor_id: `v-${label}`,
      ...fields,
    });

  /** A messenger batch: every item accepted; the last item's contact and the log position. */
  async function ingest(events: readonly unknown[]) {
    // A loaded machine's read models may lag past the backpressure bound: sent again once not.
    const response = await eventually(
      async () => {
        const sent = await service.request('/messenger/events', {
          method: 'POST',
          json: { events },
        });
        return sent.status === 429 ? undefined : sent;
      },
      30_000,
      'ingestion without backpressure',
    );
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: IngestionResultJson[] };
    expect(results.map((result) => result.status)).toEqual(events.map(() => 'accepted'));
    return {
      contactId: results.at(-1)!.contact_id!,
      position: response.headers.get('x-position')!,
    };
  }

  async function read(path: string, position?: string) {
    const response = await service.request(path, {
      headers: {
        'Intercom-Version': '2.16',
        ...(position !== undefined ? { 'X-Min-Position': position } : {}),
      },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const createUser = (json: Record<string, unknown>) =>
    service.request('/contacts', { method: 'POST', json });

  async function timeline(contactId: string, base: number, label: string) {
    const { body } = await read(`/contacts/${contactId}/timeline?per_page=50`);
    return (body.data as Array<{ occurred_at: number; summary: string; event_type: string }>).map(
      (entry) => [entry.occurred_at - base, entry.summary.replaceAll(label, '<label>')],
    );
  }

  async function conversions(base: number, position: string) {
    const { body } = await read(`/analytics/lifecycle?from=${base - 31}&to=${base - 9}`, position);
    const funnel = body as unknown as Funnel;
    return funnel.data.reduce(
      (sum, interval) => ({
        leads: sum.leads + interval.leads,
        users: sum.users + interval.users,
        visitor_to_lead: sum.visitor_to_lead + interval.conversions.visitor_to_lead,
        lead_to_user: sum.lead_to_user + interval.conversions.lead_to_user,
      }),
      { leads: 0, users: 0, visitor_to_lead: 0, lead_to_user: 0 },
    );
  }

  describe('a visitor that signed up', () => {
    /**
     * A visitor seen at base - 30 types an address at base - 20 and signs up at base - 10 with
     * another: the typed address arriving last (`late`) or in its place.
     */
    async function signedUpVisitor(order: 'late' | 'in order', base: number) {
      const label = unique(order === 'late' ? 'late' : 'inorder');
      const item = sessionItem(label, base);
      const seen = item('seen', -30, { type: 'visitor.seen' });
      const typed = item('typed', -20, {
        type: 'email.supplied',
        email: `typed-${label}@example.com`,
      });
      const signUp = item('signup', -10, {
        type: 'contact.signed_up',
        external_id: `ext-${label}`,
        email: `own-${label}@example.com`,
      });
      const first = await ingest(order === 'late' ? [seen, signUp] : [seen, typed, signUp]);
      const last = order === 'late' ? await ingest([typed]) : first;
      expect(last.contactId).toBe(first.contactId);
      return { label, base, contactId: first.contactId, position: last.position };
    }

    it('keeps the email it signed up with, held, and was a lead with the typed one in between, as in event-time order', async () => {
      const late = await signedUpVisitor('late', now - 20_000);
      const inOrder = await signedUpVisitor('in order', now - 30_000);

      for (const { label, contactId, position } of [late, inOrder]) {
        const { body } = await read(`/contacts/${contactId}`, position);
        expect(body).toMatchObject({ role: 'user', email: `own-${label}@example.com` });
      }
      // The sign-up's address stays the user's; the typed one was only ever a lead's.
      expect((await createUser({ email: `own-${late.label}@example.com` })).status).toBe(409);
      expect((await createUser({ email: `typed-${late.label}@example.com` })).status).toBe(200);

      const asOf = async ({ contactId, base }: typeof late, at: number) => {
        const { status, body } = await read(`/contacts/${contactId}?as_of=${base + at}`);
        return { status, role: body.role, email: body.email };
      };
      expect(await asOf(late, -25)).toMatchObject({ status: 404 });
      expect(await asOf(late, -20)).toEqual({
        status: 200,
        role: 'lead',
        email: `typed-${late.label}@example.com`,
      });
      expect(await asOf(late, -10)).toEqual({
        status: 200,
        role: 'user',
        email: `own-${late.label}@example.com`,
      });
      for (const at of [-25, -20, -10, 0])
        expect({ ...(await asOf(late, at)), email: null }).toEqual({
          ...(await asOf(inOrder, at)),
          email: null,
        });

      const lateTimeline = await timeline(late.contactId, late.base, late.label);
      expect(lateTimeline).toEqual(expect.arrayContaining([[-20, 'Became a lead; Updated email']]));
      expect(lateTimeline.find(([at]) => at === -10)?.[1]).toMatch(
        /^Signed up: the lead became a user/,
      );
      expect(lateTimeline).toEqual(await timeline(inOrder.contactId, inOrder.base, inOrder.label));

      const lateFunnel = await conversions(late.base, late.position);
      expect(lateFunnel).toEqual({ leads: 1, users: 1, visitor_to_lead: 1, lead_to_user: 1 });
      expect(lateFunnel).toEqual(await conversions(inOrder.base, inOrder.position));
    });
  });

  describe('a visitor that logged in as an existing user (merged into it)', () => {
    async function loggedInVisitor(order: 'late' | 'in order', base: number) {
      const label = unique(order === 'late' ? 'merge-late' : 'merge-inorder');
      const created = await createUser({
        email: `real-${label}@example.com`,
        external_id: `ext-${label}`,
      });
      expect(created.status).toBe(200);
      const user = (await created.json()) as { id: string };
      const item = sessionItem(label, base);
      const seen = item('seen', -30, { type: 'visitor.seen' });
      const typed = item('typed', -20, {
        type: 'email.supplied',
        email: `typo-${label}@example.com`,
      });
      const logIn = item('login', -10, { type: 'contact.logged_in', external_id: `ext-${label}` });
      const first = await ingest(order === 'late' ? [seen, logIn] : [seen, typed, logIn]);
      const last = order === 'late' ? await ingest([typed]) : first;
      expect(last.contactId).toBe(user.id);
      return { label, userId: user.id, position: last.position };
    }

    it('leaves the user its own email, held, as in event-time order', async () => {
      const late = await loggedInVisitor('late', now - 40_000);
      const inOrder = await loggedInVisitor('in order', now - 50_000);

      for (const { label, userId, position } of [late, inOrder]) {
        const { body } = await read(`/contacts/${userId}`, position);
        expect(body).toMatchObject({ role: 'user', email: `real-${label}@example.com` });
        const asOfNow = await eventually(async () => {
          const then = await read(`/contacts/${userId}?as_of=${Math.floor(Date.now() / 1000)}`);
          return then.status === 200 ? then.body : undefined;
        });
        expect(asOfNow).toMatchObject({ email: `real-${label}@example.com` });
      }
      expect((await createUser({ email: `real-${late.label}@example.com` })).status).toBe(409);
      expect((await createUser({ email: `typo-${late.label}@example.com` })).status).toBe(200);
    });
  });
});
