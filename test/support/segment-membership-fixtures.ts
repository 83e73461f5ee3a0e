import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { liveRow } from '../../projections/contacts/contacts.projection';
import {
  historyEntries,
  parseMemberList,
  type SegmentHistoryEntry,
  type SegmentMembershipReadModel,
} from '../../projections/segment-membership/segment-membership.tables';
import { completeMerge } from '../../src/contacts/commands/merge-contacts/complete-merge';
import type { JsonValue } from '../../src/contacts/domain/contact.attributes';
import type { ContactCommand } from '../../src/contacts/domain/contact.commands';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { ContactDomainError } from '../../src/contacts/domain/contact.errors';
import { isLive, type ContactState } from '../../src/contacts/domain/contact.state';
import { matchesSearchQuery } from '../../src/contacts/search/contact-search.evaluate';
import type { SearchFieldType } from '../../src/contacts/search/contact-search.fields';
import type { SearchNode } from '../../src/contacts/search/contact-search.query';
import type { SegmentPersonType } from '../../src/segments/domain/segment.events';
import { parseStoredRule } from '../../src/segments/domain/segment.rule';
import { handleSegmentCommand } from '../../src/segments/segment.command-handling';
import { tickSegmentClock } from '../../src/segments/segment-clock';
import type { ManualClock } from '../../src/shared/clock';
import { handleCommand, loadState } from '../../src/shared/event-sourcing/handle-command';
import type { EventStore } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';

/** Workloads for segment membership tests: contact steps, clock advances, rule changes. */
export const WORKSPACE = 'ws';
export const T0 = 1_700_000_000;
export const CONTACT_IDS = [0, 1, 2, 3, 4].map((n) => `6553f10000000000000000${n}0`);
export const SEGMENT_IDS = ['6553f1000000000000000a01', '6553f1000000000000000a02'];
const ATTRIBUTE_TYPES: Readonly<Record<string, SearchFieldType>> = {
  plan: 'string',
  trial_ends: 'date',
};
export const attributeType = (name: string): SearchFieldType | undefined => ATTRIBUTE_TYPES[name];

export interface RuleSpec {
  readonly personType: SegmentPersonType;
  readonly rule: JsonValue;
}

export type Step =
  | {
      kind: 'create';
      contact: number;
      role: 'lead' | 'user';
      signedUpOffset: number | null;
      trialOffset: number | null;
      plan: 'free' | 'pro' | null;
      email: boolean;
    }
  | {
      kind: 'update';
      contact: number;
      signedUpOffset: number | null;
      trialOffset: number | null;
      plan: 'free' | 'pro' | null;
      toUser: boolean;
    }
  /** A contact step dated `secondsBack` before the clock (a late event), the clock left as it is. */
  | { kind: 'late'; secondsBack: number; step: Step }
  | { kind: 'merge'; from: number; into: number }
  /**
   * A merge whose target is deleted between its check and its absorption (before or after the
   * source closes): refused, the source reopened.
   */
  | { kind: 'mergeIntoDeleted'; from: number; into: number; deletedFirst: boolean }
  | { kind: 'delete'; contact: number }
  | { kind: 'track'; contact: number; name: DataEventName; offset: number }
  | { kind: 'advance'; hours: number; delta: number }
  | { kind: 'changeRule'; segment: number; spec: RuleSpec };

type DataEventName = 'purchase' | 'login';
const dataEventName = fc.constantFrom<DataEventName>('purchase', 'login');

/** Whole days, and fractions whose seconds floating point does not give whole (0.7 · 86400). */
const dayCount = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0.7, 1.1, 2.675));

const dataEventFilter = fc.record(
  {
    field: fc.constant('event'),
    operator: fc.constantFrom('has_done', 'has_not_done'),
    value: dataEventName,
    within_days: dayCount,
  },
  { requiredKeys: ['field', 'operator', 'value'] },
);

const relative = (field: string) =>
  fc.record({
    field: fc.constant(field),
    operator: fc.constantFrom('less_than_days_ago', 'more_than_days_ago'),
    value: dayCount,
  });

const filter: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 3, arbitrary: relative('signed_up_at') },
  { weight: 2, arbitrary: relative('custom_attributes.trial_ends') },
  { weight: 3, arbitrary: dataEventFilter },
  fc.record({
    field: fc.constant('custom_attributes.plan'),
    operator: fc.constantFrom('=', '!='),
    value: fc.constantFrom('free', 'pro'),
  }),
  fc.record({
    field: fc.constantFrom('email', 'signed_up_at', 'custom_attributes.trial_ends'),
    operator: fc.constantFrom('exists', 'not_exists'),
  }),
  fc.record({ field: fc.constant('role'), operator: fc.constant('='), value: fc.constant('user') }),
);

const rule: fc.Arbitrary<JsonValue> = fc.oneof(
  filter,
  fc.record({
    operator: fc.constantFrom('AND', 'OR'),
    value: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: filter },
        {
          weight: 1,
          arbitrary: fc.record({
            operator: fc.constantFrom('AND', 'OR'),
            value: fc.array(filter, { minLength: 1, maxLength: 3 }),
          }),
        },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

export const ruleSpec: fc.Arbitrary<RuleSpec> = fc.record({
  personType: fc.constantFrom<SegmentPersonType>('user', 'contact', 'all'),
  rule,
});

const contactIndex = fc.integer({ min: 0, max: CONTACT_IDS.length - 1 });
const HOUR = 3_600;
// Whole hours, so that deadlines fall on the grid the clock advances to.
const offset = fc.option(
  fc.integer({ min: -72, max: 24 }).map((hours) => hours * HOUR),
  { nil: null },
);
const plan = fc.option(fc.constantFrom<'free' | 'pro'>('free', 'pro'), { nil: null });

const creation = (contact: fc.Arbitrary<number>) =>
  fc.record({
    kind: fc.constant('create' as const),
    contact,
    role: fc.constantFrom<'lead' | 'user'>('lead', 'user'),
    signedUpOffset: offset,
    trialOffset: offset,
    plan,
    email: fc.boolean(),
  });

/** One creation per contact, so that the steps after it mostly apply. */
export const initialContacts: fc.Arbitrary<Step[]> = fc.tuple(
  ...CONTACT_IDS.map((_, index) => creation(fc.constant(index))),
);

export const inTimeStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      contact: contactIndex,
      role: fc.constantFrom<'lead' | 'user'>('lead', 'user'),
      signedUpOffset: offset,
      trialOffset: offset,
      plan,
      email: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      contact: contactIndex,
      signedUpOffset: offset,
      trialOffset: offset,
      plan,
      toUser: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('merge' as const),
      from: contactIndex,
      into: contactIndex,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mergeIntoDeleted' as const),
      from: contactIndex,
      into: contactIndex,
      deletedFirst: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), contact: contactIndex }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('track' as const),
      contact: contactIndex,
      name: dataEventName,
      // Mostly past event times (late events happen); whole hours, as deadlines land on the grid.
      offset: fc.integer({ min: -60, max: 2 }).map((hours) => hours * HOUR),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // To a whole hour, or a second either side of one: deadlines are hit exactly and nearly.
      hours: fc.integer({ min: 1, max: 30 }),
      delta: fc.constantFrom(-1, 0, 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('changeRule' as const),
      segment: fc.integer({ min: 0, max: SEGMENT_IDS.length - 1 }),
      spec: ruleSpec,
    }),
  },
);

/**
 * A step of the contact steps, dated up to two days before the clock (on the hour grid, or a
 * second off it): a late event.
 */
const late = fc.record({
  kind: fc.constant('late' as const),
  secondsBack: fc
    .tuple(fc.integer({ min: 0, max: 48 }), fc.constantFrom(-1, 0, 1))
    .map(([hours, delta]) => Math.max(1, hours * HOUR + delta)),
  step: inTimeStep.filter((inner) => inner.kind !== 'advance' && inner.kind !== 'changeRule'),
});

export const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 9, arbitrary: inTimeStep },
  { weight: 1, arbitrary: late },
);

/** The current rule of every segment, as the test wrote it. */
/** A segment's rule as the test wrote it, and parsed. */
export interface SegmentRule {
  readonly spec: RuleSpec;
  readonly node: SearchNode;
}

export type Rules = Map<string, SegmentRule>;

export async function createSegments(
  store: EventStore,
  clock: ManualClock,
  specs: readonly RuleSpec[],
): Promise<Rules> {
  const rules: Rules = new Map();
  for (const [index, spec] of specs.entries()) {
    const segmentId = SEGMENT_IDS[index]!;
    await handleSegmentCommand(store, clock, WORKSPACE, segmentId, (now) => ({
      type: 'CreateSegment',
      data: {
        segmentId,
        workspaceId: WORKSPACE,
        name: `segment ${index}`,
        personType: spec.personType,
        rule: spec.rule,
        customAttributeType: attributeType,
        timeZone: 'UTC',
      },
      now,
    }));
    rules.set(segmentId, { spec, node: parseRule(spec) });
  }
  return rules;
}

function parseRule(spec: RuleSpec): SearchNode {
  return parseStoredRule({ rule: spec.rule, attributeTypes: ATTRIBUTE_TYPES });
}

const at = (now: number, offsetSeconds: number | null): number | null =>
  offsetSeconds === null ? null : now + offsetSeconds;

/** Applies one step to the log at the clock's time; refused commands record nothing. */
export async function runStep(
  store: EventStore,
  clock: ManualClock,
  rules: Rules,
  current: Step,
): Promise<void> {
  const now = Math.floor(clock.now() / 1000);
  const ref = (index: number) => ({ contactId: CONTACT_IDS[index]!, workspaceId: WORKSPACE });
  const contact = async (index: number, command: ContactCommand) => {
    try {
      await handleCommand(
        store,
        contactStreamId(WORKSPACE, CONTACT_IDS[index]!),
        contactDecider,
        command,
        {
          metadata: { workspaceId: WORKSPACE, occurredAt: clock.now() },
        },
      );
    } catch (error) {
      if (!(error instanceof ContactDomainError)) throw error;
    }
  };
  switch (current.kind) {
    case 'create':
      return contact(current.contact, {
        type: 'CreateContact',
        data: {
          ...ref(current.contact),
          role: current.role,
          attributes: {
            signed_up_at: at(now, current.signedUpOffset),
            ...(current.email ? { email: `c${current.contact}@example.com` } : {}),
            custom_attributes: { plan: current.plan, trial_ends: at(now, current.trialOffset) },
          },
        },
        now,
      });
    case 'update':
      return contact(current.contact, {
        type: 'UpdateContact',
        data: {
          ...ref(current.contact),
          ...(current.toUser ? { role: 'user' as const } : {}),
          attributes: {
            signed_up_at: at(now, current.signedUpOffset),
            custom_attributes: { plan: current.plan, trial_ends: at(now, current.trialOffset) },
          },
        },
        now,
      });
    case 'late': {
      const clockNow = clock.now();
      clock.set(Math.max(T0, now - current.secondsBack) * 1000);
      try {
        await runStep(store, clock, rules, current.step);
      } finally {
        clock.set(clockNow);
      }
      return;
    }
    case 'merge':
    case 'mergeIntoDeleted': {
      // The merge workflow only closes a source into a live user (it refuses anything else
      // before the source is touched); a lead target would never absorb it.
      const target = await loadState(
        store,
        contactStreamId(WORKSPACE, CONTACT_IDS[current.into]!),
        contactDecider,
      );
      if (target.state.status !== 'user') return;
      const deleteTarget = () =>
        contact(current.into, { type: 'DeleteContact', data: ref(current.into), now });
      if (current.kind === 'mergeIntoDeleted' && current.deletedFirst) await deleteTarget();
      await contact(current.from, {
        type: 'MergeInto',
        data: { ...ref(current.from), into: CONTACT_IDS[current.into]! },
        now,
      });
      if (current.kind === 'mergeIntoDeleted' && !current.deletedFirst) await deleteTarget();
      try {
        await completeMerge(
          store,
          clock,
          WORKSPACE,
          CONTACT_IDS[current.from]!,
          CONTACT_IDS[current.into]!,
        );
      } catch (error) {
        if (!(error instanceof ContactDomainError)) throw error;
      }
      return;
    }
    case 'delete':
      return contact(current.contact, { type: 'DeleteContact', data: ref(current.contact), now });
    case 'track':
      return contact(current.contact, {
        type: 'TrackEvent',
        data: { ...ref(current.contact), name: current.name, createdAt: now + current.offset },
        now,
      });
    case 'advance': {
      const hour = Math.floor((now - T0) / HOUR) + current.hours;
      clock.set(Math.max(now, T0 + hour * HOUR + current.delta) * 1000);
      await tickSegmentClock(store, WORKSPACE, clock.now());
      return;
    }
    case 'changeRule': {
      const segmentId = SEGMENT_IDS[current.segment]!;
      await handleSegmentCommand(store, clock, WORKSPACE, segmentId, (time) => ({
        type: 'ChangeSegmentRule',
        data: {
          segmentId,
          workspaceId: WORKSPACE,
          rule: current.spec.rule,
          personType: current.spec.personType,
          customAttributeType: attributeType,
          timeZone: 'UTC',
        },
        now: time,
      }));
      rules.set(segmentId, { spec: current.spec, node: parseRule(current.spec) });
      return;
    }
  }
}

const ROLES: Readonly<Record<SegmentPersonType, readonly string[]>> = {
  user: ['user'],
  contact: ['lead'],
  all: ['lead', 'user'],
};

/** Every contact folded from its stream. */
async function contactStates(store: EventStore): Promise<Map<string, ContactState>> {
  const states = new Map<string, ContactState>();
  for (const contactId of CONTACT_IDS) {
    const { state } = await loadState(store, contactStreamId(WORKSPACE, contactId), contactDecider);
    states.set(contactId, state);
  }
  return states;
}

/**
 * Brute force: fold every contact from its stream and evaluate each rule on it at `now`. A
 * contact's data events are those of its own stream and of the streams of contacts merged into
 * it (directly or through another merged contact), read from the log.
 */
export async function expectedMembers(
  store: EventStore,
  rules: Rules,
  now: number,
): Promise<string[]> {
  const states = await contactStates(store);
  const ownerOf = (contactId: string): string => {
    const state = states.get(contactId);
    return state?.status === 'merged' ? ownerOf(state.into) : contactId;
  };
  const tracked: Array<{ contactId: string; name: string; createdAt: number }> = [];
  for await (const event of store.readAll({ filter: { eventTypes: ['DataEventTracked'] } })) {
    const data = event.data as { contactId: string; name: string; createdAt: number };
    tracked.push(data);
  }
  const members: string[] = [];
  for (const contactId of CONTACT_IDS) {
    const state = states.get(contactId);
    if (!state || !isLive(state)) continue;
    const row = { ...liveRow(state, 0), custom_attributes: state.custom_attributes };
    const lastDataEventAt = new Map<string, number>();
    for (const event of tracked) {
      if (ownerOf(event.contactId) !== contactId) continue;
      lastDataEventAt.set(
        event.name,
        Math.max(lastDataEventAt.get(event.name) ?? -Infinity, event.createdAt),
      );
    }
    for (const [segmentId, { spec, node }] of rules) {
      if (!ROLES[spec.personType].includes(state.status)) continue;
      if (matchesSearchQuery(row, node, { timeZone: 'UTC', now, lastDataEventAt }))
        members.push(`${segmentId}/${contactId}`);
    }
  }
  return members.sort();
}

/** The contacts a deletion erased: deleted, or merged into a contact that was (from the log). */
export async function erasedContacts(store: EventStore): Promise<string[]> {
  const states = await contactStates(store);
  const erased = (contactId: string): boolean => {
    const state = states.get(contactId);
    return state?.status === 'deleted' || (state?.status === 'merged' && erased(state.into));
  };
  return CONTACT_IDS.filter(erased);
}

/** The current members, as `segment/contact` pairs, from the contacts' member lists. */
export async function actualMembers(db: Kysely<SegmentMembershipReadModel>): Promise<string[]> {
  const rows = await db
    .selectFrom('segment_membership_contact_segments')
    .select(['contact_id', 'segment_ids'])
    .where('workspace_id', '=', WORKSPACE)
    .execute();
  return rows
    .flatMap((row) =>
      parseMemberList(row.segment_ids).map((segmentId) => `${segmentId}/${row.contact_id}`),
    )
    .sort();
}

/**
 * Every entry and exit of the workspace, in (position, seq, segment, contact, change) order: a
 * total order, with numbers normalised across dialects.
 */
export async function historyEntriesOf(
  db: Kysely<SegmentMembershipReadModel>,
): Promise<SegmentHistoryEntry[]> {
  const rows = await db
    .selectFrom('segment_membership_changes')
    .selectAll()
    .where('workspace_id', '=', WORKSPACE)
    .execute();
  const key = (entry: SegmentHistoryEntry) =>
    [
      entry.position,
      String(entry.seq).padStart(10, '0'),
      entry.segment_id,
      entry.contact_id,
      entry.change,
    ].join('/');
  return rows
    .flatMap((row) => historyEntries(row))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Members replayed from the history (the last change of each pair), for a consistency check. */
export async function membersFromHistory(
  db: Kysely<SegmentMembershipReadModel>,
): Promise<string[]> {
  const last = new Map<string, string>();
  for (const entry of await historyEntriesOf(db)) {
    last.set(`${entry.segment_id}/${entry.contact_id}`, entry.change);
  }
  return [...last]
    .filter(([, change]) => change === 'entered')
    .map(([pair]) => pair)
    .sort();
}
