import { randomUUID } from 'node:crypto';
import { lifecycleProjection } from '../../projections/lifecycle/lifecycle.projection';
import { lifecycleIntervals } from '../../src/analytics/lifecycle-intervals';
import { LifecycleFunnelHandler } from '../../src/analytics/queries/lifecycle-funnel/lifecycle-funnel.handler';
import { LifecycleFunnelQuery } from '../../src/analytics/queries/lifecycle-funnel/lifecycle-funnel.query';
import type { LifecycleIntervalResponse } from '../../src/analytics/queries/lifecycle-funnel/lifecycle-funnel.response';
import type { ContactEvent } from '../../src/contacts/domain/contact.events';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import type { ReadYourWrites } from '../../src/projection-runner/projection-runner.module';
import { eventually } from '../support/eventually';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const DAY = 86_400;
/** Monday 2024-01-01, 00:00 UTC. */
const MONDAY = Date.parse('2024-01-01T00:00:00Z') / 1000;

type Counts = Pick<LifecycleIntervalResponse, 'visitors' | 'leads' | 'users' | 'conversions'>;
const counts = (
  visitors: number,
  leads: number,
  users: number,
  visitorToLead: number,
  leadToUser: number,
): Counts => ({
  visitors,
  leads,
  users,
  conversions: { visitor_to_lead: visitorToLead, lead_to_user: leadToUser },
});
const NONE = counts(0, 0, 0, 0, 0);

describeOnReadStores('the lifecycle funnel', (dialect: ReadStoreDialect) => {
  let events: SqliteEventStore;
  let readStore: TestReadStore;
  let runner: ProjectionRunner;
  let funnel: LifecycleFunnelHandler;

  beforeEach(async () => {
    events = SqliteEventStore.open({ file: ':memory:' });
    readStore = await openTestReadStore(dialect);
    runner = new ProjectionRunner(events, readStore.store, [lifecycleProjection], {
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    });
    await runner.start();
    funnel = new LifecycleFunnelHandler(
      { waitForMinPosition: () => Promise.resolve() } as unknown as ReadYourWrites,
      runner,
    );
  });

  afterEach(async () => {
    await runner.stop();
    await readStore.dispose();
    await events.close();
  });

  /** Appends `event` to its contact's stream, and waits for the read model to show it. */
  const record = async (event: ContactEvent): Promise<void> => {
    const { position } = await events.append(
      `contact-${event.data.contactId}`,
      [
        {
          id: randomUUID(),
          type: event.type,
          data: { ...event.data },
          metadata: { workspaceId: event.data.workspaceId, occurredAt: Date.now() },
        },
      ],
      { expectedRevision: 'any' },
    );
    expect(await runner.waitFor(position, 5000)).toBe(true);
  };
  const ref = (contactId: string, workspaceId = 'acme') => ({ contactId, workspaceId });
  const visitor = (id: string, at: number) =>
    record({
      type: 'VisitorRegistered',
      data: { ...ref(id), userId: `anon-${id}`, registeredAt: at, context: {} },
    });
  const becameLead = (id: string, at: number) =>
    record({
      type: 'VisitorBecameLead',
      data: { ...ref(id), becameLeadAt: at, cause: 'conversation_started' },
    });
  const signedUp = (id: string, at: number, fromRole: 'visitor' | 'lead') =>
    record({ type: 'LeadSignedUp', data: { ...ref(id), fromRole, signedUpAt: at, identity: {} } });

  const daysOf = async (from: number, to: number, workspaceId = 'acme', timeZone = 'UTC') => {
    const intervals = lifecycleIntervals(from, to, 'day', timeZone)!;
    const answer = await funnel.execute(
      new LifecycleFunnelQuery(workspaceId, from, to, 'day', timeZone, intervals, undefined),
    );
    return answer.data.map(({ start, end, ...rest }) => {
      expect(rest.type).toBe('lifecycle.interval');
      const { type: _type, ...numbers } = rest;
      return { start, end, ...numbers };
    });
  };

  it('counts each role and conversion in the interval the contact became it, per workspace', async () => {
    await visitor('v1', MONDAY + 3600);
    await becameLead('v1', MONDAY + DAY + 60);
    await signedUp('v1', MONDAY + 2 * DAY + 5, 'lead');
    await visitor('v2', MONDAY + 7200);
    await signedUp('v2', MONDAY + 7300, 'visitor');
    await record({
      type: 'LeadCreated',
      data: { ...ref('l1'), createdAt: MONDAY + DAY + 1, attributes: {} },
    });
    await record({
      type: 'ContactUpdated',
      data: { ...ref('l1'), updatedAt: MONDAY + DAY + 2, changes: { name: 'Not a promotion' } },
    });
    await record({
      type: 'ContactUpdated',
      data: { ...ref('l1'), updatedAt: MONDAY + 2 * DAY + 9, changes: { role: 'user' } },
    });
    await record({
      type: 'UserCreated',
      data: { ...ref('u1', 'globex'), createdAt: MONDAY + 10, attributes: {} },
    });

    expect(await daysOf(MONDAY, MONDAY + 3 * DAY)).toEqual([
      { start: MONDAY, end: MONDAY + DAY, ...counts(2, 0, 1, 0, 0) },
      { start: MONDAY + DAY, end: MONDAY + 2 * DAY, ...counts(0, 2, 0, 1, 0) },
      { start: MONDAY + 2 * DAY, end: MONDAY + 3 * DAY, ...counts(0, 0, 2, 0, 2) },
    ]);
    // Another workspace sees its own; a range cuts the intervals at its ends.
    expect(await daysOf(MONDAY, MONDAY + 11, 'globex')).toEqual([
      { start: MONDAY, end: MONDAY + 11, ...counts(0, 0, 1, 0, 0) },
    ]);
    expect(await daysOf(MONDAY + 3601, MONDAY + DAY + 61)).toEqual([
      { start: MONDAY + 3601, end: MONDAY + DAY, ...counts(1, 0, 1, 0, 0) },
      { start: MONDAY + DAY, end: MONDAY + DAY + 61, ...counts(0, 2, 0, 1, 0) },
    ]);
  });

  it("counts days in the workspace's zone", async () => {
    // 23:30 UTC on Monday is Tuesday in Paris.
    await visitor('v1', MONDAY + DAY - 1800);
    const from = MONDAY - 3600;
    expect(await daysOf(from, from + 2 * DAY, 'acme', 'Europe/Paris')).toEqual([
      { start: from, end: from + DAY, ...NONE },
      { start: from + DAY, end: from + 2 * DAY, ...counts(1, 0, 0, 0, 0) },
    ]);
  });

  it('moves a lead reported late back to its own day, the user it became then converting from it', async () => {
    await visitor('v1', MONDAY + 100);
    await signedUp('v1', MONDAY + 2 * DAY, 'visitor');
    expect(await daysOf(MONDAY, MONDAY + 3 * DAY)).toEqual([
      { start: MONDAY, end: MONDAY + DAY, ...counts(1, 0, 0, 0, 0) },
      { start: MONDAY + DAY, end: MONDAY + 2 * DAY, ...NONE },
      { start: MONDAY + 2 * DAY, end: MONDAY + 3 * DAY, ...counts(0, 0, 1, 0, 0) },
    ]);
    await becameLead('v1', MONDAY + DAY + 5);
    expect(await daysOf(MONDAY, MONDAY + 3 * DAY)).toEqual([
      { start: MONDAY, end: MONDAY + DAY, ...counts(1, 0, 0, 0, 0) },
      { start: MONDAY + DAY, end: MONDAY + 2 * DAY, ...counts(0, 1, 0, 1, 0) },
      { start: MONDAY + 2 * DAY, end: MONDAY + 3 * DAY, ...counts(0, 0, 1, 0, 1) },
    ]);
  });

  it('is rebuilt identical, row for row, from events applied in other batches', async () => {
    for (let n = 0; n < 12; n += 1) {
      await visitor(`v${n}`, MONDAY + n * 5000);
      if (n % 2 === 0) await becameLead(`v${n}`, MONDAY + n * 5000 + 700);
      if (n % 3 === 0)
        await signedUp(`v${n}`, MONDAY + n * 5000 + 900, n % 2 === 0 ? 'lead' : 'visitor');
    }
    // Reported late: applied live in a batch of its own, by the rebuild in one with the rest.
    await becameLead('v3', MONDAY + 3 * 5000 + 10);
    await runner.verify('lifecycle');
    const verification = await eventually(() => {
      const done = runner.verification('lifecycle');
      return done?.state === 'verifying' ? undefined : done;
    });
    expect(verification).toMatchObject({
      state: 'identical',
      comparison: { identical: true, rows: 12, tables: 1 },
    });
  });
});
