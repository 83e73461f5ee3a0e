import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { segmentMembershipProjection } from '../../projections/segment-membership/segment-membership.projection';
import { recordSpans } from '../../projections/segment-membership/segment-membership.sql';
import { positionText } from '../../projections/shared/log-position';
import {
  memberList,
  parseMemberList,
  SEGMENT_MEMBERSHIP_TABLES,
  spanBucket,
  type SegmentHistoryEntry,
  type SegmentMembershipReadModel,
  type SegmentSpansTable,
} from '../../projections/segment-membership/segment-membership.tables';
import {
  type HistoryCursor,
  SegmentReadModel,
} from '../../src/segments/queries/segment-read-model';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { ManualClock } from '../../src/shared/clock';
import { handleSegmentCommand } from '../../src/segments/segment.command-handling';
import { nextCheckAfter, snapshotOf } from '../../src/segments/domain/segment-membership';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { ContactAsOf } from '../../src/contacts/queries/contact-as-of';
import type { CustomAttributes } from '../../src/contacts/domain/contact.attributes';
import { matchesSearchQuery } from '../../src/contacts/search/contact-search.evaluate';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
  resetProjectionTables,
} from '../support/read-store-targets';
import {
  actualMembers,
  CONTACT_IDS,
  createSegments,
  erasedContacts,
  expectedMembers,
  historyEntriesOf,
  initialContacts,
  inTimeStep,
  membersFromHistory,
  ruleSpec,
  runStep,
  type Rules,
  type RuleSpec,
  type SegmentRule,
  SEGMENT_IDS,
  step,
  type Step,
  T0,
  WORKSPACE,
} from '../support/segment-membership-fixtures';
import { recordAssignedColumns } from '../support/assigned-columns';

/** The log of the test running: the projection reads a contact's stream from it on a late event. */
let log: SqliteEventStore | undefined;
const openLog = (): SqliteEventStore => {
  log = SqliteEventStore.open({ file: ':memory:' });
  return log;
};

// Two contacts per pass of a whole-workspace change: the property tests' workspaces (a handful of
// contacts) are then evaluated in several passes, boundaries included.
const projection = segmentMembershipProjection({
  bulkChunkSize: 2,
  eventStore: { readStream: (streamId, options) => log!.readStream(streamId, options) },
});

/** A segment of the leads and users on plan `pro`. */
const ON_PRO = {
  personType: 'all' as const,
  rule: { field: 'custom_attributes.plan', operator: '=', value: 'pro' },
};

/** A user on plan `pro` created. */
const proUser = (contact: number): Step => ({
  kind: 'create',
  contact,
  role: 'user',
  signedUpOffset: null,
  trialOffset: null,
  plan: 'pro',
  email: true,
});

/** An update that moves `contact` to the free plan (out of `ON_PRO`), and nothing else. */
const toFreePlan = (contact: number): Step => ({
  kind: 'update',
  contact,
  signedUpOffset: null,
  trialOffset: null,
  plan: 'free',
  toUser: false,
});

/** An entry with numbers normalised across dialects. */
const normalised = (entry: SegmentHistoryEntry) => ({
  ...entry,
  effective_at: Number(entry.effective_at),
  position: Number(entry.position),
  seq: Number(entry.seq),
});

/** The contacts whose member list is empty (a contact in no segment should have none). */
async function emptyMemberLists(db: Kysely<SegmentMembershipReadModel>) {
  const rows = await db
    .selectFrom('segment_membership_contact_segments')
    .select('contact_id')
    .where('segment_ids', '=', ' ')
    .execute();
  return rows.map((row) => row.contact_id);
}

/** The member lists not in id order (every path that writes one should sort it). */
async function unsortedMemberLists(db: Kysely<SegmentMembershipReadModel>) {
  const rows = await db
    .selectFrom('segment_membership_contact_segments')
    .select('segment_ids')
    .execute();
  return rows
    .map((row) => row.segment_ids)
    .filter((list) => memberList(parseMemberList(list)) !== list);
}

/**
 * A segment's history as the API pages it, `perPage` a page: by the cursor each page ends with,
 * and by numbered pages (each skipping the pages before it).
 */
async function historyPagedBothWays(
  reads: SegmentReadModel,
  segmentId: string,
  perPage: number,
): Promise<{ byCursor: SegmentHistoryEntry[][]; byNumber: SegmentHistoryEntry[][] }> {
  const byCursor: SegmentHistoryEntry[][] = [];
  let after: HistoryCursor | undefined;
  for (;;) {
    const page = await reads.history(WORKSPACE, segmentId, {
      limit: perPage,
      ...(after ? { after } : {}),
    });
    if (page.length > 0) byCursor.push(page);
    const last = page[page.length - 1];
    if (page.length < perPage || !last) break;
    after = {
      position: last.position,
      seq: Number(last.seq),
      contactId: last.contact_id,
      change: last.change,
      page: byCursor.length + 1,
    };
  }
  // One numbered page past the cursor's last: it is empty.
  const byNumber: SegmentHistoryEntry[][] = [];
  for (let skipped = 0; skipped <= byCursor.length; skipped += 1) {
    const page = await reads.history(WORKSPACE, segmentId, {
      limit: perPage,
      skip: skipped * perPage,
    });
    if (page.length > 0) byNumber.push(page);
  }
  return { byCursor, byNumber };
}

/** Every history entry, in a total order, with numbers normalised across dialects. */
async function historyRows(db: Kysely<SegmentMembershipReadModel>) {
  return (await historyEntriesOf(db)).map(normalised);
}

/**
 * The members at `at` as the history answers (`membershipAsOfSql`): per pair, its last change in
 * log order among those effective by then is an entry.
 */
async function membersAsOfHistory(db: Kysely<SegmentMembershipReadModel>, at: number) {
  const last = new Map<string, string>();
  for (const entry of await historyEntriesOf(db)) {
    if (Number(entry.effective_at) <= at) {
      last.set(`${entry.segment_id}/${entry.contact_id}`, entry.change);
    }
  }
  return [...last]
    .filter(([, change]) => change === 'entered')
    .map(([pair]) => pair)
    .sort();
}

/** The members at `at` by each contact's own as-of fold (`GET /contacts/{id}?as_of`). */
async function membersAsOfContacts(store: SqliteEventStore, rules: Rules, at: number) {
  const asOf = new ContactAsOf(store);
  const members: string[] = [];
  for (const contactId of CONTACT_IDS) {
    const then = await asOf.contactThen(WORKSPACE, contactId, at);
    if (then.status !== 'live') continue;
    const row = {
      ...then.row,
      custom_attributes: JSON.parse(then.row.custom_attributes) as CustomAttributes,
    };
    for (const [segmentId, { spec, node }] of rules) {
      const roles: Record<string, readonly string[]> = {
        user: ['user'],
        contact: ['lead'],
        all: ['lead', 'user'],
      };
      if (!roles[spec.personType]!.includes(row.role)) continue;
      if (matchesSearchQuery(row, node, { timeZone: 'UTC', now: at })) {
        members.push(`${segmentId}/${contactId}`);
      }
    }
  }
  return members.sort();
}

describeOnReadStores('segment membership projection', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<SegmentMembershipReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<SegmentMembershipReadModel>;
  });
  afterAll(() => target.dispose());

  const resetTables = () => resetProjectionTables(target.store, projection);

  /** Applies the events after `from`, `batchSize` per transaction; returns the last position. */
  const projectNewEvents = async (
    store: SqliteEventStore,
    from: bigint,
    batchSize: number,
  ): Promise<bigint> => {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll({
      fromPosition: from,
      filter: { eventTypes: projection.eventTypes },
    })) {
      events.push(event);
    }
    for (let index = 0; index < events.length; index += batchSize) {
      await db
        .transaction()
        .execute((tx) =>
          projection.apply(events.slice(index, index + batchSize), tx, (name) => name),
        );
    }
    return events[events.length - 1]?.position ?? from;
  };

  /** Every row of the projection's tables as text, sorted: equal contents compare equal. */
  const tableContents = async (): Promise<Record<string, string[]>> => {
    const contents: Record<string, string[]> = {};
    for (const table of SEGMENT_MEMBERSHIP_TABLES) {
      const rows = await db.selectFrom(table).selectAll().execute();
      contents[table] = rows
        .map((row) =>
          JSON.stringify(
            Object.entries(row).map(([column, value]) => [
              column,
              value === null || typeof value !== 'object' ? String(value) : JSON.stringify(value),
            ]),
          ),
        )
        .sort();
    }
    return contents;
  };

  /** `test` over a fresh log holding `creations` (an empty segment set), with the tables reset. */
  const withContacts = async (
    creations: readonly Step[],
    test: (store: SqliteEventStore, clock: ManualClock) => Promise<void>,
  ): Promise<void> => {
    const store = openLog();
    const clock = new ManualClock(T0 * 1000);
    try {
      await resetTables();
      for (const creation of creations) await runStep(store, clock, new Map(), creation);
      await test(store, clock);
    } finally {
      await store.close();
    }
  };

  it('after every step, members are exactly the live contacts the rule selects at that instant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleSpec, { minLength: 2, maxLength: 2 }),
        initialContacts,
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        async (specs, creations, later, batchSize) => {
          const steps = [...creations, ...later];
          const store = openLog();
          const clock = new ManualClock(T0 * 1000);
          let position = 0n;
          const applyNewEvents = async () => {
            position = await projectNewEvents(store, position, batchSize);
          };
          try {
            await resetTables();
            const rules = await createSegments(store, clock, specs);
            await applyNewEvents();
            for (const current of steps) {
              await runStep(store, clock, rules, current);
              await applyNewEvents();
              const now = Math.floor(clock.now() / 1000);
              const actual = await actualMembers(db);
              expect({ step: current, now, members: actual }).toEqual({
                step: current,
                now,
                members: await expectedMembers(store, rules, now),
              });
              expect(await membersFromHistory(db)).toEqual(actual);
              expect(await emptyMemberLists(db)).toEqual([]);
              expect(await unsortedMemberLists(db)).toEqual([]);
            }
            const counts = await db
              .selectFrom('segment_membership_segments')
              .select(['segment_id', 'member_count', 'history_count'])
              .where('workspace_id', '=', WORKSPACE)
              .execute();
            const members = await actualMembers(db);
            const history = await historyEntriesOf(db);
            for (const { segment_id, member_count, history_count } of counts) {
              expect(Number(member_count)).toBe(
                members.filter((pair) => pair.startsWith(`${segment_id}/`)).length,
              );
              expect(Number(history_count)).toBe(
                history.filter((entry) => entry.segment_id === segment_id).length,
              );
            }
            // A deleted contact's history went with it, and so did that of the leads merged into it.
            const erased = await erasedContacts(store);
            expect(history.filter((entry) => erased.includes(entry.contact_id))).toEqual([]);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 25 : 60 },
    );
  }, 240_000);

  it("keeps each segment's member count when a batch's erased history cancels out its other changes", async () => {
    const create = (contact: number, role: 'lead' | 'user'): Step => ({
      kind: 'create',
      contact,
      role,
      signedUpOffset: null,
      trialOffset: null,
      plan: null,
      email: true,
    });
    await withContacts([create(0, 'lead'), create(1, 'user')], async (store, clock) => {
      const rules = await createSegments(store, clock, [
        { personType: 'all', rule: { field: 'email', operator: 'exists' } },
      ]);
      const position = await projectNewEvents(store, 0n, 10);
      expect(await actualMembers(db)).toHaveLength(2);
      // The user is deleted (its entry and exit erased: two entries fewer) while the lead's merge
      // into it closes the lead (an exit): one batch of two, and the revert after.
      await runStep(store, clock, rules, {
        kind: 'mergeIntoDeleted',
        from: 0,
        into: 1,
        deletedFirst: true,
      });
      await projectNewEvents(store, position, 2);
      const [segment] = await db
        .selectFrom('segment_membership_segments')
        .select(['member_count', 'history_count'])
        .execute();
      expect(Number(segment!.member_count)).toBe((await actualMembers(db)).length);
      expect(Number(segment!.history_count)).toBe((await historyEntriesOf(db)).length);
    });
  });

  it('a span covers every position written of its segment and stretch, whatever the order and grouping of the writes', async () => {
    // The projection writes positions in log order; a span written from before its stored start
    // widens it as well.
    const write = fc.record({
      segment: fc.constantFrom(...SEGMENT_IDS.slice(0, 2)),
      position: fc.bigInt({ min: 1n, max: 3_000n }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(write, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        async (calls) => {
          await resetTables();
          const widen = (spans: Map<string, SegmentSpansTable>, segment: string, at: bigint) => {
            const bucket = spanBucket(at);
            const key = `${segment}/${bucket}`;
            const span = spans.get(key);
            const text = positionText(at);
            spans.set(key, {
              workspace_id: WORKSPACE,
              segment_id: segment,
              bucket,
              first_position: span && span.first_position < text ? span.first_position : text,
              last_position: span && span.last_position > text ? span.last_position : text,
            });
          };
          const expected = new Map<string, SegmentSpansTable>();
          for (const call of calls) {
            const spans = new Map<string, SegmentSpansTable>();
            for (const { segment, position } of call) {
              widen(spans, segment, position);
              widen(expected, segment, position);
            }
            await recordSpans(db, 'segment_membership_spans', [...spans.values()]);
          }
          const stored = await db
            .selectFrom('segment_membership_spans')
            .selectAll()
            .orderBy('segment_id')
            .orderBy('first_position')
            .execute();
          expect(stored).toEqual(
            [...expected.values()].sort((a, b) =>
              a.segment_id !== b.segment_id
                ? a.segment_id.localeCompare(b.segment_id)
                : a.first_position.localeCompare(b.first_position),
            ),
          );
        },
      ),
      { numRuns: dialect === 'postgres' ? 20 : 50 },
    );
  });

  it("a contact event assigns only the columns it changes in the projection's copy of the contact", async () => {
    await withContacts([], async (store, clock) => {
      const rules = await createSegments(store, clock, [ON_PRO]);
      await runStep(store, clock, rules, proUser(0));
      await runStep(store, clock, rules, proUser(1));
      const position = await projectNewEvents(store, 0n, 100);
      const rows = async () =>
        (await db
          .selectFrom('segment_membership_contacts')
          .selectAll()
          .orderBy('id')
          .execute()) as unknown as Array<Record<string, unknown>>;
      const before = await rows();
      const columns = Object.keys(before[0]!);
      const assigned = await recordAssignedColumns(
        db as Kysely<unknown>,
        dialect,
        'segment_membership_contacts',
        columns,
      );
      // Contact 0 leaves the segment by an update (its plan, and the times it was written at);
      // contact 1 has no event.
      await runStep(store, clock, rules, toFreePlan(0));
      await projectNewEvents(store, position, 100);
      const after = await rows();
      const changed = after.flatMap((row, index) =>
        columns
          .filter((column) => !isDeepStrictEqual(row[column], before[index]![column]))
          .map((column) => `${String(row.id)}:${column}`),
      );
      expect(changed.length).toBeGreaterThan(0);
      expect(await assigned.since()).toEqual(changed.sort());
      await assigned.dispose();
    });
  });

  it('a contact in no segment has no member list, whichever way it left the last one', async () => {
    await withContacts([], async (store, clock) => {
      const rules = await createSegments(store, clock, [ON_PRO]);
      const [segmentId] = [...rules.keys()];
      const lists = () =>
        db
          .selectFrom('segment_membership_contact_segments')
          .select(['contact_id', 'segment_ids'])
          .where('workspace_id', '=', WORKSPACE)
          .orderBy('contact_id')
          .execute();
      await runStep(store, clock, rules, proUser(0));
      await runStep(store, clock, rules, proUser(1));
      let position = await projectNewEvents(store, 0n, 1);
      // Contact 0 leaves by an event of its own.
      await runStep(store, clock, rules, toFreePlan(0));
      position = await projectNewEvents(store, position, 1);
      expect(await lists()).toEqual([
        { contact_id: CONTACT_IDS[1], segment_ids: ` ${segmentId} ` },
      ]);
      // Contact 1 leaves by a rule change (the workspace's bulk evaluation), contact 0 enters.
      await runStep(store, clock, rules, {
        kind: 'changeRule',
        segment: 0,
        spec: { ...ON_PRO, rule: { ...ON_PRO.rule, value: 'free' } },
      });
      position = await projectNewEvents(store, position, 1);
      expect(await lists()).toEqual([
        { contact_id: CONTACT_IDS[0], segment_ids: ` ${segmentId} ` },
      ]);
      // Contact 0 leaves with the segment.
      await handleSegmentCommand(store, clock, WORKSPACE, segmentId!, (now) => ({
        type: 'DeleteSegment',
        data: { segmentId: segmentId!, workspaceId: WORKSPACE },
        now,
      }));
      await projectNewEvents(store, position, 1);
      expect(await lists()).toEqual([]);
    });
  });

  describe('a late event (dated before the newest event of its workspace)', () => {
    const user = (contact: number, signedUpOffset: number | null = null): Step => ({
      kind: 'create',
      contact,
      role: 'user',
      signedUpOffset,
      trialOffset: null,
      plan: null,
      email: true,
    });
    const update = (contact: number, fields: Partial<Step & { kind: 'update' }>): Step => ({
      kind: 'update',
      contact,
      signedUpOffset: null,
      trialOffset: null,
      plan: null,
      toUser: false,
      ...fields,
    });

    /** Runs `steps`, each at its own event time (seconds after T0), in the order given. */
    const runAt = async (
      store: SqliteEventStore,
      clock: ManualClock,
      rules: Rules,
      steps: ReadonlyArray<readonly [number, Step]>,
    ) => {
      for (const [offset, current] of steps) {
        clock.set((T0 + offset) * 1000);
        await runStep(store, clock, rules, current);
      }
    };

    /** Contact 0's entries and exits of the segment, as `change@seconds after T0`. */
    const historyOfFirstContact = async () =>
      (await historyEntriesOf(db))
        .filter((entry) => entry.contact_id === CONTACT_IDS[0])
        .map((entry) => `${entry.change}@${Number(entry.effective_at) - T0}`);

    /**
     * Applies the log one event a batch, then all of it in one, and checks both give the same
     * tables, whose history has a member at each of `instants` exactly when its rule selects the
     * contact as its own as-of fold has it then.
     */
    const expectAsOfAgreement = async (
      store: SqliteEventStore,
      rules: Rules,
      instants: readonly number[],
    ) => {
      await resetTables();
      await projectNewEvents(store, 0n, 1);
      const oneByOne = await tableContents();
      for (const offset of instants) {
        expect({ at: offset, members: await membersAsOfHistory(db, T0 + offset) }).toEqual({
          at: offset,
          members: await membersAsOfContacts(store, rules, T0 + offset),
        });
      }
      await resetTables();
      await projectNewEvents(store, 0n, 1_000);
      expect(await tableContents()).toEqual(oneByOne);
    };

    it("after any log with late events, history's as_of is the rule over each contact's own as_of", async () => {
      // Rules of attributes and relative dates only (the contacts' as_of shows no data event). A
      // rule change or deletion takes effect at the clock it is applied at: the clock of its step
      // (a late step leaves the clock where it was).
      const readsAttributesOnly = (node: unknown): boolean =>
        typeof node !== 'object' || node === null
          ? true
          : (node as { field?: unknown }).field !== 'event' &&
            Object.values(node).every(readsAttributesOnly);
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            ruleSpec.filter((spec) => readsAttributesOnly(spec.rule)),
            { minLength: 2, maxLength: 2 },
          ),
          initialContacts,
          fc.array(
            step.filter((next) =>
              next.kind === 'changeRule'
                ? readsAttributesOnly(next.spec.rule)
                : (next.kind === 'late' ? next.step : next).kind !== 'track',
            ),
            { minLength: 1, maxLength: 25 },
          ),
          // Where among the steps the first segment is deleted, if it is.
          fc.option(fc.nat({ max: 25 }), { nil: undefined }),
          fc.integer({ min: 1, max: 6 }),
          (specs, creations, later, deletedAfter, batchSize) =>
            withContacts(creations, async (store, clock) => {
              const rules = await createSegments(store, clock, specs);
              // Each segment's rules from the instant each came into force (undefined: deleted).
              const timeline: Array<{
                at: number;
                segmentId: string;
                rule: SegmentRule | undefined;
              }> = [...rules].map(([segmentId, rule]) => ({ at: T0, segmentId, rule }));
              const clockSeconds = () => Math.floor(clock.now() / 1000);
              for (const [index, current] of later.entries()) {
                if (index === deletedAfter) {
                  await handleSegmentCommand(store, clock, WORKSPACE, SEGMENT_IDS[0]!, (now) => ({
                    type: 'DeleteSegment',
                    data: { segmentId: SEGMENT_IDS[0]!, workspaceId: WORKSPACE },
                    now,
                  }));
                  rules.delete(SEGMENT_IDS[0]!);
                  timeline.push({
                    at: clockSeconds(),
                    segmentId: SEGMENT_IDS[0]!,
                    rule: undefined,
                  });
                }
                // A deleted segment's rule changes no more.
                if (current.kind === 'changeRule' && !rules.has(SEGMENT_IDS[current.segment]!)) {
                  continue;
                }
                await runStep(store, clock, rules, current);
                if (current.kind === 'changeRule') {
                  const segmentId = SEGMENT_IDS[current.segment]!;
                  timeline.push({ at: clockSeconds(), segmentId, rule: rules.get(segmentId) });
                }
              }
              const rulesAt = (at: number): Rules => {
                const inForce: Rules = new Map();
                for (const change of timeline) {
                  if (change.at > at) continue;
                  if (change.rule) inForce.set(change.segmentId, change.rule);
                  else inForce.delete(change.segmentId);
                }
                return inForce;
              };
              await projectNewEvents(store, 0n, batchSize);
              const seconds = new Set<number>();
              for await (const event of store.readAll()) {
                const at = Math.floor(event.metadata.occurredAt / 1000);
                for (const near of [at - 1, at, at + 1]) seconds.add(near);
              }
              const { now } = await db
                .selectFrom('segment_membership_clocks')
                .select('now')
                .executeTakeFirstOrThrow();
              // The instants the history changes at, and a grid between (deadlines it may miss).
              for (const entry of await historyEntriesOf(db)) {
                const at = Number(entry.effective_at);
                for (const near of [at - 1, at, at + 1]) seconds.add(near);
              }
              for (let at = T0; at <= Number(now); at += 5 * 3_600) seconds.add(at);
              const instants = [...seconds]
                .filter((at) => at >= T0 && at <= Number(now))
                .sort((a, b) => a - b);
              // Each pair's changes, in log order, alternate from an entry, in time order: none
              // of them stale.
              const pairs = new Map<string, SegmentHistoryEntry[]>();
              for (const entry of await historyEntriesOf(db)) {
                const pair = `${entry.segment_id}/${entry.contact_id}`;
                pairs.set(pair, [...(pairs.get(pair) ?? []), entry]);
              }
              for (const [pair, entries] of pairs) {
                const changes = entries.map((entry) => [entry.change, Number(entry.effective_at)]);
                const inOrder = entries.map((entry, index) => [
                  index % 2 === 0 ? 'entered' : 'exited',
                  Math.max(...entries.slice(0, index + 1).map((e) => Number(e.effective_at))),
                ]);
                expect({ pair, changes }).toEqual({ pair, changes: inOrder });
              }
              for (const at of instants) {
                expect({ at, members: await membersAsOfHistory(db, at) }).toEqual({
                  at,
                  members: await membersAsOfContacts(store, rulesAt(at), at),
                });
              }
            }),
        ),
        { numRuns: dialect === 'postgres' ? 10 : 40 },
      );
    }, 240_000);

    it('enters and exits at the event times of the writes, as the contact was then', async () => {
      await withContacts([], async (store, clock) => {
        const rules = await createSegments(store, clock, [ON_PRO]);
        await runAt(store, clock, rules, [
          [1, user(0)],
          [100, update(0, { plan: 'free' })],
          // The workspace's clock moves on; then the late write.
          [200, user(1)],
          [50, update(0, { plan: 'pro' })],
        ]);
        await resetTables();
        await projectNewEvents(store, 0n, 1);
        expect(await historyOfFirstContact()).toEqual(['entered@50', 'exited@100']);
        await expectAsOfAgreement(store, rules, [1, 49, 50, 99, 100, 200]);
      });
    });

    it('a late signed_up_at enters a relative rule at its time and exits at its deadline', async () => {
      const DAY = 86_400;
      await withContacts([], async (store, clock) => {
        const rules = await createSegments(store, clock, [
          {
            personType: 'user',
            rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 1 },
          },
        ]);
        await runAt(store, clock, rules, [
          [1, user(0)],
          [3 * DAY, user(1)],
          [100, update(0, { signedUpOffset: 0 })],
        ]);
        await resetTables();
        await projectNewEvents(store, 0n, 1);
        expect(await historyOfFirstContact()).toEqual(['entered@100', `exited@${100 + DAY}`]);
        await expectAsOfAgreement(store, rules, [99, 100, 100 + DAY - 1, 100 + DAY, 3 * DAY]);
      });
    });

    it('a late write after a deadline that fired moves that exit to its new deadline', async () => {
      const DAY = 86_400;
      await withContacts([], async (store, clock) => {
        const rules = await createSegments(store, clock, [
          {
            personType: 'user',
            rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 1 },
          },
        ]);
        await runAt(store, clock, rules, [
          // Signed up at 1: a member until 1 + DAY, when its deadline fires.
          [1, user(0, 0)],
          [3 * DAY, user(1)],
          // Late, from 100: signed up at 100 (the newer write), a member until 100 + DAY.
          [100, update(0, { signedUpOffset: 0 })],
        ]);
        await resetTables();
        await projectNewEvents(store, 0n, 1);
        expect(await historyOfFirstContact()).toEqual(['entered@1', `exited@${100 + DAY}`]);
        await expectAsOfAgreement(store, rules, [1, 99, 100, 1 + DAY, 100 + DAY - 1, 100 + DAY]);
      });
    });

    it('a late write dated before a segment existed undoes the entry its creation recorded', async () => {
      await withContacts([], async (store, clock) => {
        await runAt(store, clock, new Map(), [[1, proUser(0)]]);
        clock.set((T0 + 50) * 1000);
        // Created at 50 over the contact, a member then; the workspace's clock moves on.
        const rules = await createSegments(store, clock, [ON_PRO]);
        await runAt(store, clock, rules, [
          [200, user(1)],
          // Late, from 10: free (the newer write), so never a member of the segment.
          [10, update(0, { plan: 'free' })],
        ]);
        await resetTables();
        await projectNewEvents(store, 0n, 1);
        expect(await historyOfFirstContact()).toEqual([]);
        await expectAsOfAgreement(store, rules, [10, 49, 50, 200]);
      });
    });

    it('a late data event enters "has done within a day" at its time and exits a day after', async () => {
      const DAY = 86_400;
      await withContacts([], async (store, clock) => {
        const rules = await createSegments(store, clock, [
          {
            personType: 'user',
            rule: { field: 'event', operator: 'has_done', value: 'purchase', within_days: 1 },
          },
        ]);
        await runAt(store, clock, rules, [
          [1, user(0)],
          [3 * DAY, user(1)],
          [100, { kind: 'track', contact: 0, name: 'purchase', offset: 0 }],
        ]);
        await resetTables();
        await projectNewEvents(store, 0n, 1);
        expect(await historyOfFirstContact()).toEqual(['entered@100', `exited@${100 + DAY}`]);
        const oneByOne = await tableContents();
        await resetTables();
        await projectNewEvents(store, 0n, 1_000);
        expect(await tableContents()).toEqual(oneByOne);
      });
    });

    describe('an entry at a second a rule came into force and the contact changed at', () => {
      const DAY = 86_400;
      const HAS_PURCHASED = {
        personType: 'user' as const,
        rule: { field: 'event', operator: 'has_done', value: 'purchase' },
      };
      /** The event ids of contact 0's stream and of the segment's creation, by type. */
      const eventIdsByType = async (store: SqliteEventStore) => {
        const ids = new Map<string, string>();
        for await (const event of store.readAll()) ids.set(event.type, event.id);
        return ids;
      };
      const causesOfFirstContact = async () =>
        (await historyEntriesOf(db))
          .filter((entry) => entry.contact_id === CONTACT_IDS[0])
          .map((entry) => ({
            change: entry.change,
            at: Number(entry.effective_at) - T0,
            cause: entry.cause_event_type,
            causeId: entry.cause_event_id,
          }));
      /** The log applied one event a batch, then all in one: the same history both ways. */
      const expectCausesInAnyBatching = async (
        store: SqliteEventStore,
        expected: ReadonlyArray<Record<string, unknown>>,
      ) => {
        for (const batchSize of [1, 1_000]) {
          await resetTables();
          await projectNewEvents(store, 0n, batchSize);
          expect(await causesOfFirstContact()).toEqual(expected);
        }
      };

      it('is caused by the contact event when it came after the rule, as it is in time', async () => {
        await withContacts([], async (store, clock) => {
          // The segment first, then the user, in the same second; then, late, a purchase dated
          // a day before both.
          const rules = await createSegments(store, clock, [HAS_PURCHASED]);
          await runAt(store, clock, rules, [
            [0, user(0)],
            [-DAY, { kind: 'track', contact: 0, name: 'purchase', offset: 0 }],
          ]);
          const ids = await eventIdsByType(store);
          const expected = [
            { change: 'entered', at: 0, cause: 'UserCreated', causeId: ids.get('UserCreated') },
          ];
          await expectCausesInAnyBatching(store, expected);
        });
      });

      it('is caused by the rule when it came after the contact event, as it is in time', async () => {
        await withContacts([], async (store, clock) => {
          // The user first, then the segment, in the same second; then the late purchase.
          await runAt(store, clock, new Map(), [[0, user(0)]]);
          const rules = await createSegments(store, clock, [HAS_PURCHASED]);
          await runAt(store, clock, rules, [
            [-DAY, { kind: 'track', contact: 0, name: 'purchase', offset: 0 }],
          ]);
          const ids = await eventIdsByType(store);
          const expected = [
            {
              change: 'entered',
              at: 0,
              cause: 'SegmentCreated',
              causeId: ids.get('SegmentCreated'),
            },
          ];
          await expectCausesInAnyBatching(store, expected);
        });
      });
    });
  });

  it("a rule change's entries keep each member list in id order", async () => {
    const creation = proUser(0);
    await withContacts([creation], async (store, clock) => {
      const rules = await createSegments(store, clock, [ON_PRO, ON_PRO]);
      let position = await projectNewEvents(store, 0n, 1);
      expect(await actualMembers(db)).toHaveLength(2);
      // Each segment's rule drops the contact, then takes it back: it enters in bulk into a list
      // that holds the other segment (ahead of it, then after it).
      for (const segment of [0, 1]) {
        for (const plan of ['free', 'pro']) {
          await runStep(store, clock, rules, {
            kind: 'changeRule',
            segment,
            spec: { ...ON_PRO, rule: { ...ON_PRO.rule, value: plan } },
          });
          position = await projectNewEvents(store, position, 1);
        }
        expect(await actualMembers(db)).toHaveLength(2);
      }
      const lists = await db
        .selectFrom('segment_membership_contact_segments')
        .select('segment_ids')
        .where('workspace_id', '=', WORKSPACE)
        .execute();
      expect(lists).toEqual([{ segment_ids: ` ${SEGMENT_IDS[0]} ${SEGMENT_IDS[1]} ` }]);
    });
  });

  it('a segment created over existing contacts stores the deadlines nextCheckAfter gives each of them', async () => {
    await fc.assert(
      fc.asyncProperty(ruleSpec, initialContacts, (spec, creations) =>
        withContacts(creations, async (store, clock) => {
          const position = await projectNewEvents(store, 0n, 5);
          // Created after the contacts: evaluated over the workspace in SQL.
          const rules = await createSegments(store, clock, [spec]);
          await projectNewEvents(store, position, 5);
          const [segmentId, rule] = [...rules][0]!;
          const segment = snapshotOf(segmentId, spec.personType, rule.node, 1, 'UTC');
          const { now } = await db
            .selectFrom('segment_membership_clocks')
            .select('now')
            .where('workspace_id', '=', WORKSPACE)
            .executeTakeFirstOrThrow();
          const contacts = await db
            .selectFrom('segment_membership_contacts')
            .selectAll()
            .where('workspace_id', '=', WORKSPACE)
            .execute();
          const expected = contacts
            .map((row) => [row.id, nextCheckAfter(row, segment, Number(now))] as const)
            .filter(([, at]) => at !== undefined)
            .sort(([a], [b]) => a.localeCompare(b));
          const stored = await db
            .selectFrom('segment_membership_deadlines')
            .select(['contact_id', 'at'])
            .where('workspace_id', '=', WORKSPACE)
            .orderBy('contact_id')
            .execute();
          expect(stored.map((row) => [row.contact_id, Number(row.at)])).toEqual(expected);
        }),
      ),
      { numRuns: dialect === 'postgres' ? 15 : 40 },
    );
  }, 120_000);

  it('a deleted segment: each member exits once, caused by the deletion, in passes over its members', async () => {
    await fc.assert(
      fc.asyncProperty(ruleSpec, initialContacts, (spec, creations) =>
        withContacts(creations, async (store, clock) => {
          const rules = await createSegments(store, clock, [spec]);
          const position = await projectNewEvents(store, 0n, 5);
          const [segmentId] = [...rules.keys()];
          const members = await actualMembers(db);
          expect(members).toEqual(
            await expectedMembers(store, rules, Math.floor(clock.now() / 1000)),
          );
          await handleSegmentCommand(store, clock, WORKSPACE, segmentId!, (now) => ({
            type: 'DeleteSegment',
            data: { segmentId: segmentId!, workspaceId: WORKSPACE },
            now,
          }));
          await projectNewEvents(store, position, 5);

          expect(await actualMembers(db)).toEqual([]);
          const exits = (await historyEntriesOf(db)).filter(
            (row) => row.change === 'exited' && row.cause_event_type === 'SegmentDeleted',
          );
          expect(exits.map((row) => `${row.segment_id}/${row.contact_id}`).sort()).toEqual(members);
        }),
      ),
      { numRuns: dialect === 'postgres' ? 10 : 25 },
    );
  }, 120_000);

  it('a contact a nested conjunct rules out holds no deadline, whether it is loaded again or not (seed 1967510636)', async () => {
    // The property below found it: the lead's plan rules segment 0 out under its nested AND, so
    // its evaluation stored no deadline; a later batch loading the contact derived one (T0 + 1).
    const lead = (contact: number): Step => ({
      kind: 'create',
      contact,
      role: 'lead',
      signedUpOffset: null,
      trialOffset: null,
      plan: null,
      email: false,
    });
    const free = { field: 'custom_attributes.plan', operator: '=', value: 'free' };
    const signedUpWithin = (days: number) => ({
      field: 'signed_up_at',
      operator: 'less_than_days_ago',
      value: days,
    });
    await withContacts([0, 1, 2, 3, 4].map(lead), async (store, clock) => {
      const rules = await createSegments(store, clock, [
        { personType: 'user', rule: free },
        { personType: 'user', rule: { operator: 'AND', value: [free] } },
      ]);
      const steps: Step[] = [
        {
          kind: 'changeRule',
          segment: 0,
          spec: {
            personType: 'all',
            rule: {
              operator: 'AND',
              value: [{ operator: 'AND', value: [free, signedUpWithin(0)] }, signedUpWithin(0.7)],
            },
          },
        },
        {
          kind: 'update',
          contact: 0,
          signedUpOffset: 0,
          trialOffset: null,
          plan: null,
          toUser: false,
        },
        { kind: 'track', contact: 0, name: 'purchase', offset: 0 },
      ];
      for (const current of steps) await runStep(store, clock, rules, current);
      await handleSegmentCommand(store, clock, WORKSPACE, SEGMENT_IDS[0]!, (now) => ({
        type: 'DeleteSegment',
        data: { segmentId: SEGMENT_IDS[0]!, workspaceId: WORKSPACE },
        now,
      }));
      await projectNewEvents(store, 0n, 1);
      const oneByOne = await tableContents();
      expect(oneByOne['segment_membership_deadlines']).toEqual([]);
      await resetTables();
      await projectNewEvents(store, 0n, 1_000);
      expect(await tableContents()).toEqual(oneByOne);
    });
  });

  it("builds the same tables whatever batches the log is cut into, on either store's positions", async () => {
    // The embedded store's positions as they are (a few stretches of the spans, `spanBucket`, at
    // most), and spread so that every few events start a new stretch, as they are and as
    // EventStoreDB packs its byte offsets (`commit << 64 | prepare`, esdb-mapping.ts).
    const positionings: Record<string, (position: bigint) => bigint> = {
      embedded: (position) => position,
      embeddedSpread: (position) => position * 331n,
      eventStoreDbSpread: (position) => ((position * 339_001n) << 64n) | (position * 339_001n),
    };
    const applyInBatches = async (events: readonly RecordedEvent[], sizes: readonly number[]) => {
      await resetTables();
      let index = 0;
      for (let cut = 0; index < events.length; cut += 1) {
        const size = sizes[cut % sizes.length]!;
        const batch = events.slice(index, index + size);
        await db.transaction().execute((tx) => projection.apply(batch, tx, (name) => name));
        index += size;
      }
      return tableContents();
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleSpec, { minLength: 2, maxLength: 2 }),
        initialContacts,
        // Right after the creations, before any contact event: rule changes (one of a segment
        // just created) and clock ticks (deadlines firing), as often one as the other.
        fc.array(
          fc.oneof(
            step.filter((next) => next.kind === 'changeRule'),
            step.filter((next) => next.kind === 'advance'),
          ),
          { maxLength: 3 },
        ),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
        // The first segment deleted right after the creations (the second one's rule changes
        // only, then), or at the end.
        fc.boolean(),
        async (specs, creations, afterCreation, later, cuts, deleteFirst) => {
          const store = openLog();
          const clock = new ManualClock(T0 * 1000);
          const deleteSegment = () =>
            handleSegmentCommand(store, clock, WORKSPACE, SEGMENT_IDS[0]!, (now) => ({
              type: 'DeleteSegment',
              data: { segmentId: SEGMENT_IDS[0]!, workspaceId: WORKSPACE },
              now,
            }));
          try {
            // Segments created over existing contacts, changed, and one deleted: the bulk paths.
            for (const creation of creations) await runStep(store, clock, new Map(), creation);
            const rules = await createSegments(store, clock, specs);
            if (deleteFirst) await deleteSegment();
            for (const current of [...afterCreation, ...later]) {
              const kept =
                deleteFirst && current.kind === 'changeRule' ? { ...current, segment: 1 } : current;
              await runStep(store, clock, rules, kept);
            }
            if (!deleteFirst) await deleteSegment();
            const logged: RecordedEvent[] = [];
            for await (const event of store.readAll({
              filter: { eventTypes: projection.eventTypes },
            })) {
              logged.push(event);
            }
            for (const [name, positionOf] of Object.entries(positionings)) {
              const events = logged.map((event) => ({
                ...event,
                position: positionOf(event.position),
              }));
              if (name.endsWith('Spread')) {
                expect(
                  new Set(events.map((event) => spanBucket(event.position))).size,
                ).toBeGreaterThan(2);
              }
              const oneByOne = await applyInBatches(events, [1]);
              expect({ name, tables: await applyInBatches(events, [events.length]) }).toEqual({
                name,
                tables: oneByOne,
              });
              expect({ name, tables: await applyInBatches(events, cuts) }).toEqual({
                name,
                tables: oneByOne,
              });
              // A numbered page reads what the cursor of the page before reads, spans skipped
              // whole or in part.
              const reads = new SegmentReadModel({
                queryDb: () => db,
              } as unknown as ProjectionRunner);
              for (const segmentId of rules.keys()) {
                const { byCursor, byNumber } = await historyPagedBothWays(reads, segmentId, 2);
                expect({ name, segmentId, pages: byNumber }).toEqual({
                  name,
                  segmentId,
                  pages: byCursor,
                });
              }
            }
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 8 : 25 },
    );
  }, 240_000);

  it('a rebuild from position 0 records the same history, row for row, time-based exits included', async () => {
    const own = await openTestReadStore(dialect);
    const store = openLog();
    const clock = new ManualClock(T0 * 1000);
    const runner = new ProjectionRunner(
      store,
      own.store,
      [segmentMembershipProjection({ eventStore: store })],
      {
        batchSize: 4,
      },
    );
    try {
      await runner.start();
      const settle = async () =>
        expect(await runner.waitFor(await store.headPosition(), 10_000)).toBe(true);
      const specs: RuleSpec[] = [
        {
          personType: 'all' as const,
          rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 1 },
        },
        {
          personType: 'user' as const,
          rule: {
            operator: 'OR',
            value: [
              { field: 'custom_attributes.trial_ends', operator: 'more_than_days_ago', value: 0 },
              { field: 'custom_attributes.plan', operator: '=', value: 'pro' },
              { field: 'event', operator: 'has_done', value: 'purchase', within_days: 1 },
            ],
          },
        },
      ];
      const rules = await createSegments(store, clock, specs);
      const steps = [
        ...fc.sample(initialContacts, { seed: 7, numRuns: 1 })[0]!,
        ...fc.sample(inTimeStep, { seed: 13, numRuns: 60 }),
        // Late events among them: a rebuild dates their changes back as the live build did.
        ...fc.sample(step, { seed: 17, numRuns: 30 }),
      ];
      expect(steps.filter((current) => current.kind === 'late').length).toBeGreaterThan(1);
      for (const current of steps) {
        await runStep(store, clock, rules, current);
        await settle();
      }
      const db = runner.queryDb<SegmentMembershipReadModel>('segment_membership');
      const live = await historyRows(db);
      const liveMembers = await actualMembers(db);
      expect(live.filter((row) => row.cause === 'deadline').length).toBeGreaterThan(0);
      expect(live.filter((row) => row.cause === 'event').length).toBeGreaterThan(0);

      await runner.rebuild('segment_membership');
      // The rebuild goes to the other slot of the projection's current version.
      expect((await runner.status())[0]?.build).toBe(`v${projection.version}_b`);
      expect(await historyRows(db)).toEqual(live);
      expect(await actualMembers(db)).toEqual(liveMembers);

      // Each segment's history as the API pages it (by its spans, three a page) is its part of
      // the whole, in order, and its count says how many.
      const reads = new SegmentReadModel(runner);
      const entries = await historyEntriesOf(db);
      for (const segmentId of rules.keys()) {
        const { byCursor, byNumber } = await historyPagedBothWays(reads, segmentId, 3);
        const expected = entries.filter((entry) => entry.segment_id === segmentId);
        expect(expected.length).toBeGreaterThan(3);
        expect(byCursor.flat().map(normalised)).toEqual(expected.map(normalised));
        expect(byNumber).toEqual(byCursor);
        expect(await reads.historyCount(WORKSPACE, segmentId, undefined)).toBe(expected.length);
      }
    } finally {
      await runner.stop();
      await store.close();
      await own.dispose();
    }
  }, 60_000);
});
