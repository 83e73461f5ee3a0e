import type { ContactsTable } from '../contacts/contacts.table';

/** The live segments of each workspace, with their rule as stored on the log. */
export interface SegmentDefinitionsTable {
  workspace_id: string;
  segment_id: string;
  name: string;
  /** `user` | `contact` | `all`. */
  person_type: string;
  /** JSON text of the rule as written. */
  rule: string;
  /** JSON text: data type of every custom attribute the rule names. */
  attribute_types: string;
  /** The days the rule's date comparisons count in. */
  time_zone: string;
  rule_version: number;
  created_at: number;
  updated_at: number;
  /** Kept with every entry and exit, so counts need no scan. */
  member_count: number;
}

/** Current members: one row per (segment, contact). */
export interface SegmentMembersTable {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
}

/**
 * Every entry and exit. `effective_at` is when it happened (event time, or the deadline itself);
 * `cause` is `event` (`cause_event_id` names it: a contact event or the segment's own rule
 * change) or `deadline` (time alone flipped the rule). `position` is the log position being
 * applied when it was recorded and `seq` orders the rows recorded at one position, so a pair's
 * rows sort in the order they happened.
 */
export interface SegmentHistoryTable {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  change: 'entered' | 'exited';
  effective_at: number;
  cause: 'event' | 'deadline';
  cause_event_id: string | null;
  cause_event_type: string | null;
  rule_version: number;
  /** `historyPosition` of it: positions reach 128 bits on EventStoreDB, past any integer column. */
  position: string;
  seq: number;
}

/**
 * A log position as the history stores it: decimal digits, zero-padded to 39 (2^128 has 39), so
 * text order is log order in both dialects. EventStoreDB's packed positions (`esdb-mapping.ts`)
 * exceed PostgreSQL's bigint and SQLite's integer, which would refuse or round them.
 */
export const historyPosition = (position: bigint): string => position.toString().padStart(39, '0');

/**
 * Per contact, the next instant one of its memberships may flip by time alone (the earliest over
 * its segments; possibly earlier than that after a rule change, never later).
 */
export interface SegmentDeadlinesTable {
  workspace_id: string;
  contact_id: string;
  at: number;
}

/** Each workspace's membership clock: event time of the latest event or tick, in unix seconds. */
export interface SegmentClocksTable {
  workspace_id: string;
  now: number;
}

/** Per contact and data event name, the latest `created_at` (see `contact-data-events.ts`). */
export interface SegmentDataEventsTable {
  workspace_id: string;
  contact_id: string;
  name: string;
  last_at: number;
}

export interface SegmentMembershipReadModel {
  segment_membership_segments: SegmentDefinitionsTable;
  segment_membership_members: SegmentMembersTable;
  segment_membership_history: SegmentHistoryTable;
  segment_membership_deadlines: SegmentDeadlinesTable;
  segment_membership_clocks: SegmentClocksTable;
  /** The projection's own fold of every contact (same columns as the contacts read model). */
  segment_membership_contacts: ContactsTable;
  segment_membership_data_events: SegmentDataEventsTable;
}

export const SEGMENT_MEMBERSHIP_TABLES: readonly (keyof SegmentMembershipReadModel)[] = [
  'segment_membership_segments',
  'segment_membership_members',
  'segment_membership_history',
  'segment_membership_deadlines',
  'segment_membership_clocks',
  'segment_membership_contacts',
  'segment_membership_data_events',
];

/** The history table's columns in insert order (bulk inserts name them explicitly). */
export const SEGMENT_HISTORY_COLUMNS = [
  'workspace_id',
  'segment_id',
  'contact_id',
  'change',
  'effective_at',
  'cause',
  'cause_event_id',
  'cause_event_type',
  'rule_version',
  'position',
  'seq',
] as const satisfies readonly (keyof SegmentHistoryTable)[];
