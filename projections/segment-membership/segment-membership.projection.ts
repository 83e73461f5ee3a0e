import { PostgresAdapter, type Transaction } from 'kysely';
import { CONTACTS_PROJECTION_EVENT_TYPES, DATA_EVENT_TYPES } from '../contacts/contacts.projection';
import { defineProjection, type TableResolver } from '../../src/projection-runner/projection';
import type { EventStore, RecordedEvent } from '../../src/shared/event-store/event-store.port';
import {
  SEGMENT_EVENT_TYPES,
  type SegmentClockTicked,
} from '../../src/segments/domain/segment.events';
import { toSegmentEvent } from '../../src/segments/segment-event-codec';
import { snapshotOf } from '../../src/segments/domain/segment-membership';
import { parseStoredRule, timeZoneOf } from '../../src/segments/domain/segment.rule';
import { positionText } from '../shared/log-position';
import { createDataEventsTable } from './contact-data-events';
import type { DeadlineAlarm } from './deadline-alarm';
import { eventSeconds } from './contact-timeline';
import { MembershipBatch } from './membership-batch';
import { createLateEventTables, createSegmentMembershipTables } from './segment-membership.schema';
import { evaluateSegmentInWorkspace, removeSegment } from './segment-membership.sql';
import {
  SEGMENT_MEMBERSHIP_TABLES,
  type SegmentMembershipReadModel,
} from './segment-membership.tables';

export const SEGMENT_MEMBERSHIP_PROJECTION = 'segment_membership';

const SEGMENT_CLOCK_TICKED: SegmentClockTicked['type'] = 'SegmentClockTicked';
const SEGMENT_EVENTS: ReadonlySet<string> = new Set(SEGMENT_EVENT_TYPES);

type Tx = Transaction<SegmentMembershipReadModel>;

/**
 * Live segment membership (segments.md). Keeps its own fold of every contact (the contacts read
 * model's columns, folded with the domain's `evolve`) and of its data events (the latest
 * `created_at` per name, merge sources' included, for `has_done` / `has_not_done`), so it never
 * depends on another projection's progress, and:
 * - on a contact event, re-evaluates that contact against the segments whose fields it changed;
 * - on a new segment or a rule change, evaluates the whole workspace once in SQL;
 * - stores, per contact, the next instant one of its time-based memberships may flip, and fires
 *   it when the workspace's clock reaches it: before any later event of the workspace, or on a
 *   `SegmentClockTicked` the scheduler appends when it is due. Which segments are due is derived
 *   again from the fold when the contact is loaded.
 * - on a late contact event (dated before its workspace's clock), evaluates that contact again
 *   over the time since, as its own as-of fold has it at each second (its stream read up to that
 *   event: the events the log has delivered of it) against the rule in force then, and replaces
 *   its changes from the event's second on (`MembershipBatch.replayLate`).
 * The clock is event time, so a rebuild from position 0 records the same entries and exits at
 * the same instants. Every change is recorded with its time, cause and rule version.
 */
export function segmentMembershipProjection(
  deps: {
    readonly deadlineAlarm?: DeadlineAlarm;
    /**
     * Where a late event's contact stream is read from, to date the changes it causes at event
     * time (`MembershipBatch.replayLate`). Absent (benchmarks), they are dated at the clock.
     */
    readonly eventStore?: Pick<EventStore, 'readStream'>;
    /** Contacts per pass of a whole-workspace change (tests make it small). */
    readonly bulkChunkSize?: number;
  } = {},
) {
  return defineProjection<SegmentMembershipReadModel>({
    name: SEGMENT_MEMBERSHIP_PROJECTION,
    // 14: a late event's change at a second a rule came into force at is caused by the later, in
    // log order, of the rule's event and the contact's (the rule's start position is kept).
    version: 14,
    eventTypes: [
      ...CONTACTS_PROJECTION_EVENT_TYPES,
      // Not in the contacts read model's types: the rules' `has_done` / `has_not_done` read them.
      ...DATA_EVENT_TYPES,
      ...SEGMENT_EVENT_TYPES,
      SEGMENT_CLOCK_TICKED,
    ],
    tables: [...SEGMENT_MEMBERSHIP_TABLES],
    migrations: [
      { name: '001_segment_membership', up: createSegmentMembershipTables },
      { name: '002_segment_membership_data_events', up: createDataEventsTable },
      { name: '003_segment_membership_late_events', up: createLateEventTables },
    ],
    async apply(events, tx, tables) {
      let earliest: number | undefined;
      for (const run of runsOf(events)) {
        const batch = new MembershipBatch(tx, tables, deps.eventStore);
        if (run.kind === 'segment') {
          const { workspaceId } = run.event.data as { workspaceId: string };
          const now = await batch.advance(workspaceId, eventSeconds(run.event), run.event);
          await batch.flush();
          earliest = min(earliest, batch.earliestDeadlineWritten);
          earliest = min(
            earliest,
            await applySegmentEvent(tx, tables, run.event, now, deps.bulkChunkSize),
          );
          continue;
        }
        await batch.preload(run.events);
        for (const event of run.events) {
          const { workspaceId } = event.data as { workspaceId: string };
          if (event.type === SEGMENT_CLOCK_TICKED) {
            await batch.advance(workspaceId, (event.data as SegmentClockTicked['data']).at, event);
            continue;
          }
          const now = await batch.advance(workspaceId, eventSeconds(event), event);
          await batch.applyContactEvent(event, now);
        }
        await batch.flush();
        earliest = min(earliest, batch.earliestDeadlineWritten);
      }
      if (earliest !== undefined) deps.deadlineAlarm?.raise(earliest);
    },
  });
}

type Run =
  | { readonly kind: 'segment'; readonly event: RecordedEvent }
  | { readonly kind: 'contacts'; readonly events: RecordedEvent[] };

/** Contact events and ticks are applied in memory by runs; a segment event stands alone. */
function runsOf(events: readonly RecordedEvent[]): Run[] {
  const runs: Run[] = [];
  let current: RecordedEvent[] = [];
  for (const event of events) {
    if (!SEGMENT_EVENTS.has(event.type)) {
      current.push(event);
      continue;
    }
    if (current.length > 0) runs.push({ kind: 'contacts', events: current });
    current = [];
    runs.push({ kind: 'segment', event });
  }
  if (current.length > 0) runs.push({ kind: 'contacts', events: current });
  return runs;
}

const min = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

async function applySegmentEvent(
  tx: Tx,
  tables: TableResolver<SegmentMembershipReadModel>,
  recorded: RecordedEvent,
  now: number,
  chunkSize: number | undefined,
): Promise<number | undefined> {
  const event = toSegmentEvent(recorded);
  const { workspaceId, segmentId } = event.data;
  const dialect = tx.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
  const cause = { eventId: recorded.id, eventType: recorded.type, position: recorded.position };
  const existing = await tx
    .selectFrom('segment_membership_segments')
    .select(['rule_version'])
    .where('workspace_id', '=', workspaceId)
    .where('segment_id', '=', segmentId)
    .executeTakeFirst();
  switch (event.type) {
    case 'SegmentCreated':
    case 'SegmentRuleChanged': {
      if (event.type === 'SegmentCreated' && existing) return undefined;
      if (event.type === 'SegmentRuleChanged' && !existing) return undefined;
      if (existing && Number(existing.rule_version) >= event.data.ruleVersion) return undefined;
      const row = {
        person_type: event.data.personType,
        rule: JSON.stringify(event.data.rule),
        attribute_types: JSON.stringify(event.data.attributeTypes),
        time_zone: timeZoneOf(event.data),
        rule_version: event.data.ruleVersion,
        updated_at: event.type === 'SegmentCreated' ? event.data.createdAt : event.data.changedAt,
      };
      await endRuleVersion(tx, existing, { workspaceId, segmentId, now });
      await tx
        .insertInto('segment_membership_rule_versions')
        .values({
          workspace_id: workspaceId,
          segment_id: segmentId,
          rule_version: row.rule_version,
          person_type: row.person_type,
          rule: row.rule,
          attribute_types: row.attribute_types,
          time_zone: row.time_zone,
          in_force_from: now,
          in_force_until: null,
          started_by_event_id: recorded.id,
          started_by_event_type: recorded.type,
          started_by_position: positionText(recorded.position),
          ended_by_event_id: null,
          ended_by_event_type: null,
        })
        .execute();
      if (event.type === 'SegmentCreated') {
        await tx
          .insertInto('segment_membership_segments')
          .values({
            workspace_id: workspaceId,
            segment_id: segmentId,
            name: event.data.name,
            created_at: event.data.createdAt,
            member_count: 0,
            history_count: 0,
            ...row,
          })
          .execute();
      } else {
        await tx
          .updateTable('segment_membership_segments')
          .set(row)
          .where('workspace_id', '=', workspaceId)
          .where('segment_id', '=', segmentId)
          .execute();
      }
      const segment = snapshotOf(
        segmentId,
        event.data.personType,
        parseStoredRule(event.data),
        event.data.ruleVersion,
        timeZoneOf(event.data),
      );
      return evaluateSegmentInWorkspace(tx, tables, dialect, {
        workspaceId,
        segment,
        now,
        cause,
        mayHaveMembers: existing !== undefined,
        ...(chunkSize !== undefined ? { chunkSize } : {}),
      });
    }
    case 'SegmentRenamed':
      await tx
        .updateTable('segment_membership_segments')
        .set({ name: event.data.name, updated_at: event.data.renamedAt })
        .where('workspace_id', '=', workspaceId)
        .where('segment_id', '=', segmentId)
        .execute();
      return undefined;
    case 'SegmentDeleted':
      if (!existing) return undefined;
      await endRuleVersion(tx, existing, { workspaceId, segmentId, now, endedBy: recorded });
      await removeSegment(tx, tables, dialect, {
        workspaceId,
        segmentId,
        ruleVersion: Number(existing.rule_version),
        now,
        cause,
        ...(chunkSize !== undefined ? { chunkSize } : {}),
      });
      return undefined;
  }
}

/** The segment's rule in force (if any) stops being so at `now`; `endedBy`: its deletion. */
async function endRuleVersion(
  tx: Tx,
  existing: { readonly rule_version: number } | undefined,
  change: {
    readonly workspaceId: string;
    readonly segmentId: string;
    readonly now: number;
    readonly endedBy?: RecordedEvent;
  },
): Promise<void> {
  if (!existing) return;
  await tx
    .updateTable('segment_membership_rule_versions')
    .set({
      in_force_until: change.now,
      ended_by_event_id: change.endedBy?.id ?? null,
      ended_by_event_type: change.endedBy?.type ?? null,
    })
    .where('workspace_id', '=', change.workspaceId)
    .where('segment_id', '=', change.segmentId)
    .where('rule_version', '=', Number(existing.rule_version))
    .execute();
}
