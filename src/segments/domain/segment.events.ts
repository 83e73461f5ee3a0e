import type { JsonValue, UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { SearchFieldType } from '../../contacts/search/contact-search.fields';

/**
 * Whose membership a segment decides: Intercom's `user` (users) and `contact` (leads, as
 * Intercom's segment object documents it), plus `all` (leads and users), our extension.
 */
export type SegmentPersonType = 'user' | 'contact' | 'all';

export const SEGMENT_PERSON_TYPES: readonly SegmentPersonType[] = ['user', 'contact', 'all'];

/**
 * A rule as stored on the log: the query exactly as the client wrote it, with the data type of
 * every custom attribute it names as they were when it was saved. Re-parsing it with those types
 * gives the same rule on every replay, whatever happens to the data attributes later.
 */
export interface StoredSegmentRule {
  readonly rule: JsonValue;
  readonly attributeTypes: Readonly<Record<string, SearchFieldType>>;
  /**
   * The time zone whose days date comparisons count in: the workspace's when the rule was saved
   * (as search counts them). Absent from rules stored before it was recorded: UTC.
   */
  readonly timeZone?: string;
}

export interface SegmentRef {
  readonly segmentId: string;
  readonly workspaceId: string;
}

type SegmentEventOf<Type extends string, Data> = {
  readonly type: Type;
  readonly data: SegmentRef & Data;
};

/** A segment was defined; its first rule has version 1. */
export type SegmentCreated = SegmentEventOf<
  'SegmentCreated',
  StoredSegmentRule & {
    readonly name: string;
    readonly personType: SegmentPersonType;
    readonly ruleVersion: number;
    readonly createdAt: UnixSeconds;
  }
>;

/** The segment's name changed; membership does not depend on it. */
export type SegmentRenamed = SegmentEventOf<
  'SegmentRenamed',
  { readonly name: string; readonly renamedAt: UnixSeconds }
>;

/** The rule or the person type changed: a new rule version, re-evaluated over the workspace. */
export type SegmentRuleChanged = SegmentEventOf<
  'SegmentRuleChanged',
  StoredSegmentRule & {
    readonly personType: SegmentPersonType;
    readonly ruleVersion: number;
    readonly changedAt: UnixSeconds;
  }
>;

/** The segment is gone; every member leaves it. */
export type SegmentDeleted = SegmentEventOf<'SegmentDeleted', { readonly deletedAt: UnixSeconds }>;

export type SegmentEvent = SegmentCreated | SegmentRenamed | SegmentRuleChanged | SegmentDeleted;

export type SegmentEventType = SegmentEvent['type'];

export const SEGMENT_EVENT_TYPES: readonly SegmentEventType[] = [
  'SegmentCreated',
  'SegmentRenamed',
  'SegmentRuleChanged',
  'SegmentDeleted',
];

/**
 * The workspace's segment clock reached `at`: time-based memberships whose deadline is at or
 * before it flip now. Appended by the deadline scheduler when a deadline is due, so a replay of
 * the log fires the same deadlines at the same event-time instants.
 */
export interface SegmentClockTicked {
  readonly type: 'SegmentClockTicked';
  readonly data: { readonly workspaceId: string; readonly at: UnixSeconds };
}
