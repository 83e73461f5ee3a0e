import { DeadlineAlarm } from '../../projections/segment-membership/deadline-alarm';
import {
  SEGMENT_MEMBERSHIP_PROJECTION,
  segmentMembershipProjection,
} from '../../projections/segment-membership/segment-membership.projection';
import type { SegmentMembershipReadModel } from '../../projections/segment-membership/segment-membership.tables';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import type { AnyProjection } from '../../src/projection-runner/projection';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { SegmentDeadlineScheduler } from '../../src/segments/segment-deadline-scheduler';
import { ManualClock } from '../../src/shared/clock';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { eventually, gate } from '../support/eventually';
import { describeOnReadStores, openTestReadStore } from '../support/read-store-targets';
import {
  CONTACT_IDS,
  createSegments,
  historyEntriesOf,
  runStep,
  SEGMENT_IDS,
  T0,
} from '../support/segment-membership-fixtures';

const DAY = 86_400;

/**
 * A runner that counts the scheduler's waits for the membership projection and those it gave up,
 * and calls `onGiveUp` before answering the first of those.
 */
class WatchedRunner extends ProjectionRunner {
  waits = 0;
  givenUp = 0;
  onGiveUp: () => Promise<void> = () => Promise.resolve();

  override async waitFor(
    position: bigint,
    timeoutMs: number,
    names?: readonly string[],
  ): Promise<boolean> {
    this.waits += 1;
    const reached = await super.waitFor(position, timeoutMs, names);
    if (!reached) {
      this.givenUp += 1;
      if (this.givenUp === 1) await this.onGiveUp();
    }
    return reached;
  }
}

describeOnReadStores(
  'segment deadlines on a log the membership read model has not caught up with',
  (dialect) => {
    it('fire nothing from the read model still replaying, and the due deadline once it is at the head', async () => {
      const events = SqliteEventStore.open();
      const readStore = await openTestReadStore(dialect);
      const clock = new ManualClock(T0 * 1000);
      const replay = gate();
      const laterWrites = gate();
      const alarm = new DeadlineAlarm();
      let runner: WatchedRunner | undefined;
      let scheduler: SegmentDeadlineScheduler | undefined;
      try {
        // A user in "signed up less than 7 days ago" until T0 + 60, then another contact, both at
        // T0; the service then comes back an hour later, the deadline long due.
        await createSegments(events, clock, [
          {
            personType: 'user',
            rule: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 },
          },
        ]);
        const create = { kind: 'create', role: 'user', trialOffset: null, plan: null } as const;
        const createContact = (contact: number, signedUpOffset: number | null) =>
          runStep(events, clock, new Map(), { ...create, contact, signedUpOffset, email: false });
        await createContact(0, 60 - 7 * DAY);
        const deadlineStoredAt = await events.headPosition();
        await createContact(1, null);
        const logHead = await events.headPosition();
        clock.advance(3600 * 1000);

        // The replay stops short of the log's last event until `replay` opens, and short of the
        // writes that come after the start until `laterWrites` does.
        const projection: AnyProjection = segmentMembershipProjection({ deadlineAlarm: alarm });
        const slowed: AnyProjection = {
          ...projection,
          async apply(batch, tx, tables) {
            const last = batch[batch.length - 1]!.position;
            if (last > deadlineStoredAt) await replay.opened;
            if (last > logHead) await laterWrites.opened;
            return projection.apply(batch, tx, tables);
          },
        };
        runner = new WatchedRunner(events, readStore.store, [slowed], { batchSize: 1 });
        // Writes go on meanwhile: the log's head moves past the one the scheduler first waited for.
        runner.onGiveUp = () => createContact(2, null);
        await runner.start();
        const db = runner.queryDb<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION);
        await eventually(async () =>
          (await db.selectFrom('segment_membership_deadlines').selectAll().execute()).length > 0
            ? true
            : undefined,
        );
        scheduler = new SegmentDeadlineScheduler(events, runner, clock, alarm);
        scheduler.onApplicationBootstrap();

        const watched = runner;
        await eventually(
          () => (watched.givenUp > 0 && watched.waits > watched.givenUp ? true : undefined),
          15_000,
          'the scheduler to give up waiting and wake again',
        );
        expect(await ticks(events)).toEqual([]);

        // Caught up with the log it started on, the later write still being applied: it fires.
        replay.open();
        expect(
          await eventually(
            async () => ((await ticks(events)).length > 0 ? ticks(events) : undefined),
            15_000,
            'a tick',
          ),
        ).toEqual([T0 + 3600]);
        laterWrites.open();
        const fired = await eventually(async () => {
          const exits = (await historyEntriesOf(db)).filter((entry) => entry.change === 'exited');
          return exits.length > 0 ? exits : undefined;
        }, 15_000);
        expect(fired).toEqual([
          expect.objectContaining({
            segment_id: SEGMENT_IDS[0],
            contact_id: CONTACT_IDS[0],
            effective_at: T0 + 60,
            cause: 'deadline',
          }),
        ]);
        expect(await ticks(events)).toEqual([T0 + 3600]);
      } finally {
        replay.open();
        laterWrites.open();
        await scheduler?.beforeApplicationShutdown();
        await runner?.stop();
        await readStore.dispose();
        await events.close();
      }
    });
  },
);

/** The instants of the log's `SegmentClockTicked` events. */
async function ticks(events: SqliteEventStore): Promise<number[]> {
  const found: RecordedEvent[] = [];
  for await (const event of events.readAll({ filter: { eventTypes: ['SegmentClockTicked'] } }))
    found.push(event);
  return found.map((event) => (event.data as { at: number }).at);
}
