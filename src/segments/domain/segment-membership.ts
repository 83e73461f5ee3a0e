import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { ContactEvent } from '../../contacts/domain/contact.events';
import {
  matchesSearchQuery,
  searchFieldValue,
  type EvaluationContext,
  type SearchableContact,
} from '../../contacts/search/contact-search.evaluate';
import type {
  DataEventFilter,
  RelativeDateFilter,
  SearchNode,
} from '../../contacts/search/contact-search.query';
import { daySeconds } from '../../contacts/search/contact-search.semantics';
import type { SegmentPersonType } from './segment.events';

/** What membership needs from a segment: its parsed rule and who it applies to. */
export interface SegmentRuleSnapshot {
  readonly id: string;
  readonly personType: SegmentPersonType;
  readonly rule: SearchNode;
  readonly ruleVersion: number;
  /** The rule's relative date filters: the only parts whose truth changes with time alone. */
  readonly relativeFilters: readonly RelativeDateFilter[];
  /** The rule's `has_done` / `has_not_done` filters; those with `withinDays` also flip with time. */
  readonly dataEventFilters: readonly DataEventFilter[];
  /**
   * When the rule is an AND, its conjuncts whose truth time alone does not change, those of the
   * ANDs among its conjuncts included (`timelessConjunctsOf`): while one of them is false, so is
   * the rule at every instant. Empty for any other rule.
   */
  readonly timelessConjuncts: readonly SearchNode[];
  /** The days its date comparisons count in (the workspace's when the rule was saved). */
  readonly timeZone: string;
}

/** The latest `created_at` of a contact's data events by name (see `EvaluationContext`). */
export type LastDataEventAt = ReadonlyMap<string, UnixSeconds>;

// Shared constants: membership asks for every segment of every contact event.
const ROLES: Readonly<Record<SegmentPersonType, readonly ('lead' | 'user')[]>> = {
  user: Object.freeze(['user'] as const),
  contact: Object.freeze(['lead'] as const),
  all: Object.freeze(['lead', 'user'] as const),
};

/** The roles a person type admits (segments.md: leads, users, or both). */
export function rolesOf(personType: SegmentPersonType): readonly ('lead' | 'user')[] {
  return ROLES[personType];
}

export function relativeFiltersOf(node: SearchNode): RelativeDateFilter[] {
  if (node.kind === 'group') return node.value.flatMap(relativeFiltersOf);
  return node.operator === 'less_than_days_ago' || node.operator === 'more_than_days_ago'
    ? [node]
    : [];
}

export function dataEventFiltersOf(node: SearchNode): DataEventFilter[] {
  if (node.kind === 'group') return node.value.flatMap(dataEventFiltersOf);
  return node.operator === 'has_done' || node.operator === 'has_not_done' ? [node] : [];
}

/** Whether filters like these change a rule's truth with time alone. */
const flipWithTime = (
  relativeFilters: readonly RelativeDateFilter[],
  dataEventFilters: readonly DataEventFilter[],
): boolean =>
  relativeFilters.length > 0 || dataEventFilters.some((filter) => filter.withinDays !== undefined);

const changesWithTime = (node: SearchNode): boolean =>
  flipWithTime(relativeFiltersOf(node), dataEventFiltersOf(node));

/** Whether the segment has deadlines: a part of its rule changes truth with time alone. */
export const isTimeBased = (segment: SegmentRuleSnapshot): boolean =>
  flipWithTime(segment.relativeFilters, segment.dataEventFilters);

export function snapshotOf(
  id: string,
  personType: SegmentPersonType,
  rule: SearchNode,
  ruleVersion: number,
  timeZone: string,
): SegmentRuleSnapshot {
  return {
    id,
    personType,
    rule,
    ruleVersion,
    relativeFilters: relativeFiltersOf(rule),
    dataEventFilters: dataEventFiltersOf(rule),
    timelessConjuncts: timelessConjunctsOf(rule),
    timeZone,
  };
}

/**
 * The conjuncts of an AND rule that time does not change, looking into the ANDs among them that
 * time does change: `a AND (b AND t1) AND t2` has `a` and `b`. They are the parts a contact's
 * values can rule the segment out by for good (every `field = value` `SegmentsByRequiredValue`
 * indexes is one), so `nextCheckAfter` gives no deadline where the projection evaluates nothing:
 * a contact's deadlines are the same whether its last evaluation or a later load derived them.
 */
function timelessConjunctsOf(rule: SearchNode): SearchNode[] {
  if (rule.kind !== 'group' || rule.operator !== 'AND') return [];
  return rule.value.flatMap((node) =>
    !changesWithTime(node) ? [node] : timelessConjunctsOf(node),
  );
}

/** A live lead or user of the segment's person type, whatever the rule says. */
export function isEligible(
  contact: SearchableContact | undefined,
  segment: SegmentRuleSnapshot,
): contact is SearchableContact {
  return (
    contact !== undefined &&
    contact.status === 'live' &&
    (rolesOf(segment.personType) as readonly string[]).includes(contact.role)
  );
}

/** Whether the contact belongs to the segment at `now` (unix seconds): the search semantics. */
export function isMemberAt(
  contact: SearchableContact | undefined,
  segment: SegmentRuleSnapshot,
  now: UnixSeconds,
  lastDataEventAt?: LastDataEventAt,
): boolean {
  // A literal, not a conditional spread: membership evaluates millions of (contact, segment) pairs.
  return isMemberIn(contact, segment, { timeZone: segment.timeZone, now, lastDataEventAt });
}

/**
 * `isMemberAt` in a context given whole (the segment's time zone, the instant, the contact's data
 * events): the projection evaluates an event's segments at one instant, in one context.
 */
export function isMemberIn(
  contact: SearchableContact | undefined,
  segment: SegmentRuleSnapshot,
  context: EvaluationContext,
): boolean {
  return isEligible(contact, segment) && matchesSearchQuery(contact, segment.rule, context);
}

/**
 * The first whole second after `now` at which the contact's membership may flip by time alone,
 * or undefined when it never will without another event. A relative filter on a value `v` with
 * `N` days is decided by `now` against `v + N·86400`; its truth can only change at the whole
 * seconds `floor(v + N·86400)` and the one after (both operators, any fraction). The answer may
 * be an instant where nothing flips (another part of the rule decides): the projection then just
 * asks again from there. None while a timeless conjunct of the rule is false: nothing flips then
 * until an event changes the contact, and the event re-evaluates it. A data event filter "within
 * N days" is the same as a relative filter on the latest `created_at` of that event.
 * `deadlineSql`, over the contacts the timeless conjuncts select, computes the same in SQL.
 */
export function nextCheckAfter(
  contact: SearchableContact | undefined,
  segment: SegmentRuleSnapshot,
  now: UnixSeconds,
  lastDataEventAt?: LastDataEventAt,
): UnixSeconds | undefined {
  if (!isTimeBased(segment) || !isEligible(contact, segment)) return undefined;
  if (segment.timelessConjuncts.length > 0) {
    const context = { timeZone: segment.timeZone, now, lastDataEventAt };
    for (const node of segment.timelessConjuncts) {
      if (!matchesSearchQuery(contact, node, context)) return undefined;
    }
  }
  let next: number | undefined;
  for (const filter of segment.relativeFilters) {
    const value = searchFieldValue(contact, filter.field);
    if (typeof value === 'number') next = earlierCandidate(next, value, filter.value, now);
  }
  for (const filter of segment.dataEventFilters) {
    const last = lastDataEventAt?.get(filter.value);
    if (last !== undefined && filter.withinDays !== undefined) {
      next = earlierCandidate(next, last, filter.withinDays, now);
    }
  }
  return next;
}

/** The earlier of `next` and the first of `value + days` (floored) and the second after it past `now`. */
function earlierCandidate(
  next: number | undefined,
  value: number,
  days: number,
  now: UnixSeconds,
): number | undefined {
  const flip = Math.floor(value + daySeconds(days));
  const candidate = flip > now ? flip : flip + 1 > now ? flip + 1 : undefined;
  if (candidate === undefined) return next;
  return next === undefined || candidate < next ? candidate : next;
}

/**
 * Takes a contact event into the latest `created_at` by `at` of each data event name: what
 * `has_done` reads of a contact at a past instant, by event time (an event reported later but
 * dated by then counts). A summary counts at its last occurrence, or at its first when only that
 * one was by then. `recordedAt` is the second its log event is dated (metadata `occurredAt`,
 * which the writer never puts after the moment it records it): an event sent dated ahead of that
 * counts from then, with its `created_at` (`last`) as sent, as the membership projection keeps it
 * (`ContactDataEvents`, `ContactTimeline`); so "within N days" ages it from its `created_at`.
 */
export function noteDataEventBy(
  latest: Map<string, UnixSeconds>,
  event: ContactEvent,
  recordedAt: UnixSeconds,
  at: UnixSeconds,
): void {
  let time: UnixSeconds | undefined;
  if (event.type === 'DataEventTracked') {
    const { createdAt } = event.data;
    time = Math.min(createdAt, recordedAt) <= at ? createdAt : undefined;
  } else if (event.type === 'DataEventSummaryReported') {
    const { first, last } = event.data;
    time = Math.min(last, recordedAt) <= at ? last : first <= at ? first : undefined;
  } else {
    return;
  }
  if (time === undefined) return;
  const known = latest.get(event.data.name);
  if (known === undefined || time > known) latest.set(event.data.name, time);
}
