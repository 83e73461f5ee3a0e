import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { segmentMembershipProjection } from '../../projections/segment-membership/segment-membership.projection';
import {
  SEGMENT_MEMBERSHIP_TABLES,
  type SegmentMembershipReadModel,
} from '../../projections/segment-membership/segment-membership.tables';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { ManualClock } from '../../src/shared/clock';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';
import {
  actualMembers,
  createSegments,
  expectedMembers,
  initialContacts,
  membersFromHistory,
  ruleSpec,
  runStep,
  step,
  T0,
  WORKSPACE,
} from '../support/segment-membership-fixtures';

const projection = segmentMembershipProjection();

describeOnReadStores('segment membership projection', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<SegmentMembershipReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<SegmentMembershipReadModel>;
  });
  afterAll(() => target.dispose());

  async function resetTables(): Promise<void> {
    for (const table of SEGMENT_MEMBERSHIP_TABLES)
      await db.schema.dropTable(table).ifExists().execute();
    for (const migration of projection.migrations) await migration.up(db, (name) => name);
  }

  it('after every step, members are exactly the live contacts the rule selects at that instant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleSpec, { minLength: 2, maxLength: 2 }),
        initialContacts,
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        async (specs, creations, later, batchSize) => {
          const steps = [...creations, ...later];
          const store = SqliteEventStore.open({ file: ':memory:' });
          const clock = new ManualClock(T0 * 1000);
          let position = 0n;
          const applyNewEvents = async () => {
            const events: RecordedEvent[] = [];
            for await (const event of store.readAll({
              fromPosition: position,
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
            position = events[events.length - 1]?.position ?? position;
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
            }
            const counts = await db
              .selectFrom('segment_membership_segments')
              .select(['segment_id', 'member_count'])
              .where('workspace_id', '=', WORKSPACE)
              .execute();
            const members = await actualMembers(db);
            for (const { segment_id, member_count } of counts) {
              expect(Number(member_count)).toBe(
                members.filter((pair) => pair.startsWith(`${segment_id}/`)).length,
              );
            }
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 25 : 60 },
    );
  }, 240_000);
});
