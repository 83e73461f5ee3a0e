import {
  CONTACT_COLUMNS,
  contactRowOf,
  contactValuesOf,
  type ContactsTable,
} from '../contacts/contacts.table';
import { positionText } from '../shared/log-position';

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
  /** How many entries and exits the history holds for the segment. */
  history_count: number;
}

/**
 * One entry or exit, as the history API lists it. Stored grouped (`SegmentChangesTable`): every
 * change of one contact recorded at one instant for one cause is one row. `effective_at` is when
 * it happened (event time, or the deadline itself); `cause` is `event` (`cause_event_id` names
 * it: a contact event or the segment's own rule change) or `deadline` (time alone flipped the
 * rule). `position` is the log position being applied when it was recorded and `seq` orders the
 * groups recorded at one position, so a pair's changes sort in the order they happened.
 */
export interface SegmentHistoryEntry {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  change: 'entered' | 'exited';
  effective_at: number;
  cause: 'event' | 'deadline';
  cause_event_id: string | null;
  cause_event_type: string | null;
  rule_version: number;
  /** `positionText` of it: positions reach 128 bits on EventStoreDB, past any integer column. */
  position: string;
  seq: number;
}

/**
 * The history as stored: a row per (contact, position, seq) with the segments it entered and
 * exited, each as `segment_id:rule_version` in a `changeList`. A contact's first event enters a
 * dozen segments or more; one row instead of a row per segment is what keeps the projection's
 * writes close to the contacts projection's (a row costs SQLite the same few microseconds
 * whatever it holds).
 */
export interface SegmentChangesTable {
  workspace_id: string;
  contact_id: string;
  position: string;
  seq: number;
  effective_at: number;
  cause: 'event' | 'deadline';
  cause_event_id: string | null;
  cause_event_type: string | null;
  entered: string;
  exited: string;
}

/**
 * Where on the log a segment's changes are: per stretch of the log (`spanBucket`) in which the
 * segment changed, the first and last position of its changes there. A segment's history pages
 * read the changes rows of its spans only, so a segment that changes rarely does not page through
 * every change of its workspace. Stretches are fixed on the log, so the rows are the same however
 * the log was cut into batches (a rebuild's and the live ones).
 */
export interface SegmentSpansTable {
  workspace_id: string;
  segment_id: string;
  /** `spanBucket` of its positions: one row per segment and stretch. */
  bucket: string;
  first_position: string;
  last_position: string;
}

/**
 * Bits of a position below its span's stretch. On the embedded store positions count events: a
 * stretch of 1,024 events. On EventStoreDB they are `commit << 64 | prepare` (`esdb-mapping.ts`),
 * `commit` a byte offset: a stretch of 1 MiB of log, about 1,024 events of
 * `ESTIMATED_EVENT_BYTES`. So a history page scans, per span, the workspace's changes of at most
 * about 1,024 events (plus a segment event's bulk change), and a segment that changes at every
 * event keeps a span row per 1,024 events.
 */
const EMBEDDED_STRETCH_BITS = 10n;
const ESDB_STRETCH_BITS = 64n + 20n;
/** Embedded positions stay far below it; EventStoreDB's are above it past its first record. */
const PACKED_POSITIONS = 1n << 64n;

/**
 * The stretch of the log a position lies in, as the `positionText` of its first position: a
 * pure function of the position, so spans do not depend on how the log was cut into batches.
 * Stretches are contiguous and in log order (EventStoreDB's first one starts at 2^64).
 */
export const spanBucket = (position: bigint): string => {
  if (position < PACKED_POSITIONS) {
    return positionText((position >> EMBEDDED_STRETCH_BITS) << EMBEDDED_STRETCH_BITS);
  }
  const start = (position >> ESDB_STRETCH_BITS) << ESDB_STRETCH_BITS;
  return positionText(start < PACKED_POSITIONS ? PACKED_POSITIONS : start);
};

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

/** A contact's fold as the contacts read model has it, and when its latest event happened. */
export interface SegmentMembershipContactsTable extends ContactsTable {
  /**
   * The latest event time (unix seconds) among its events; null where not known (a row written
   * otherwise than by the projection).
   */
  latest_event_at: number | null;
}

/** Every column of `SegmentMembershipContactsTable` (raw writes name their columns). */
export const MEMBERSHIP_CONTACT_COLUMNS: readonly (keyof SegmentMembershipContactsTable)[] = [
  ...CONTACT_COLUMNS,
  'latest_event_at',
];

export const MEMBERSHIP_CONTACT_KEY = ['workspace_id', 'id'] as const;

/**
 * `row` with its `latest_event_at`, copied column by column (one literal: a spread of a row
 * followed by a column cost ~5 µs, once per contact a batch writes).
 */
export function membershipContactRow(
  row: ContactsTable,
  latestEventAt: number | null,
): SegmentMembershipContactsTable {
  return {
    workspace_id: row.workspace_id,
    id: row.id,
    role: row.role,
    status: row.status,
    merged_into: row.merged_into,
    archived: row.archived,
    external_id: row.external_id,
    email: row.email,
    email_domain: row.email_domain,
    phone: row.phone,
    name: row.name,
    avatar: row.avatar,
    owner_id: row.owner_id,
    visitor_user_id: row.visitor_user_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    signed_up_at: row.signed_up_at,
    last_seen_at: row.last_seen_at,
    last_replied_at: row.last_replied_at,
    last_contacted_at: row.last_contacted_at,
    unsubscribed_from_emails: row.unsubscribed_from_emails,
    has_hard_bounced: row.has_hard_bounced,
    marked_email_as_spam: row.marked_email_as_spam,
    language_override: row.language_override,
    browser: row.browser,
    browser_version: row.browser_version,
    browser_language: row.browser_language,
    os: row.os,
    location_country: row.location_country,
    location_region: row.location_region,
    location_city: row.location_city,
    referrer: row.referrer,
    utm_campaign: row.utm_campaign,
    utm_content: row.utm_content,
    utm_medium: row.utm_medium,
    utm_source: row.utm_source,
    utm_term: row.utm_term,
    custom_attributes: row.custom_attributes,
    merge_history: row.merge_history,
    field_written_at: row.field_written_at,
    revision: row.revision,
    latest_event_at: latestEventAt,
  };
}

/** The row's values in `MEMBERSHIP_CONTACT_COLUMNS` order (see `contactValuesOf`). */
export function membershipContactValuesOf(row: SegmentMembershipContactsTable): unknown[] {
  const values = contactValuesOf(row);
  values.push(row.latest_event_at);
  return values;
}

/** The row whose values are `values`, in `MEMBERSHIP_CONTACT_COLUMNS` order (`selectByIds`). */
export const membershipContactRowOf = (
  values: readonly unknown[],
): SegmentMembershipContactsTable =>
  Object.assign(contactRowOf(values), {
    latest_event_at: values[CONTACT_COLUMNS.length] as number | null,
  });

/** Per contact and data event name, the latest `created_at` (see `contact-data-events.ts`). */
export interface SegmentDataEventsTable {
  workspace_id: string;
  contact_id: string;
  name: string;
  last_at: number;
}

/**
 * Every rule a segment has had, with the stretch of the membership clock it was in force over:
 * a late event's contact is evaluated again, over the time since that event, against the rule of
 * each instant (`MembershipBatch`), a deleted segment's included.
 */
export interface SegmentRuleVersionsTable {
  workspace_id: string;
  segment_id: string;
  rule_version: number;
  person_type: string;
  rule: string;
  attribute_types: string;
  time_zone: string;
  /** The clock when the segment event that brought it in was applied. */
  in_force_from: number;
  /** The clock when the next rule or the deletion replaced it; null while it is in force. */
  in_force_until: number | null;
  started_by_event_id: string;
  started_by_event_type: string;
  /**
   * `positionText` of that event: a change at `in_force_from` is caused by the later, in log
   * order, of it and the contact's event of that second (`MembershipBatch.replayLate`).
   */
  started_by_position: string;
  /** The segment's deletion, when that ended it. */
  ended_by_event_id: string | null;
  ended_by_event_type: string | null;
}

export interface SegmentMembershipReadModel {
  segment_membership_segments: SegmentDefinitionsTable;
  segment_membership_rule_versions: SegmentRuleVersionsTable;
  segment_membership_changes: SegmentChangesTable;
  segment_membership_spans: SegmentSpansTable;
  segment_membership_deadlines: SegmentDeadlinesTable;
  segment_membership_clocks: SegmentClocksTable;
  /** The projection's own fold of every contact (the contacts read model's columns, and one). */
  segment_membership_contacts: SegmentMembershipContactsTable;
  segment_membership_contact_segments: SegmentContactSegmentsTable;
  segment_membership_data_events: SegmentDataEventsTable;
}

export const SEGMENT_MEMBERSHIP_TABLES: readonly (keyof SegmentMembershipReadModel)[] = [
  'segment_membership_segments',
  'segment_membership_rule_versions',
  'segment_membership_changes',
  'segment_membership_spans',
  'segment_membership_deadlines',
  'segment_membership_clocks',
  'segment_membership_contacts',
  'segment_membership_contact_segments',
  'segment_membership_data_events',
];

/**
 * The segments each contact is a member of (`memberList`): a narrow row of its own, so a rule
 * change over a workspace rewrites these and not the contacts' rows. A contact in no segment has
 * none (it never entered one, or has left every one).
 */
export interface SegmentContactSegmentsTable {
  workspace_id: string;
  contact_id: string;
  segment_ids: string;
}

/** The changes table's columns in insert order (bulk inserts name them explicitly). */
export const SEGMENT_CHANGES_COLUMNS = [
  'workspace_id',
  'contact_id',
  'position',
  'seq',
  'effective_at',
  'cause',
  'cause_event_id',
  'cause_event_type',
  'entered',
  'exited',
] as const satisfies readonly (keyof SegmentChangesTable)[];

/**
 * A contact's segments as `segment_ids` stores them: space-separated with a space at each end,
 * so `listHas(column, memberToken(id))` finds one exactly (segment ids are hex: no space, no
 * LIKE wildcard). The empty list is a single space.
 */
export const memberList = (segmentIds: Iterable<string>): string => {
  const ids = [...segmentIds].sort();
  return ids.length === 0 ? ' ' : ` ${ids.join(' ')} `;
};

export const parseMemberList = (text: string): string[] =>
  text.split(' ').filter((id) => id !== '');

/** A changes row's `entered` or `exited`: ` segment:version ` entries, as `memberList`. */
export const changeList = (
  changes: ReadonlyArray<{ readonly segmentId: string; readonly ruleVersion: number }>,
): string =>
  changes.length === 0
    ? ' '
    : ` ${changes.map((change) => `${change.segmentId}:${change.ruleVersion}`).join(' ')} `;

/** The pattern `listHas` matches a segment's member entry with. */
export const memberToken = (segmentId: string): string => `% ${segmentId} %`;

/** The pattern `listHas` matches a segment's entry of a `changeList` with. */
export const changeToken = (segmentId: string): string => `% ${segmentId}:%`;

/** The changes a `changeList` holds, in its order. */
export const parseChangeList = (list: string): Array<{ segmentId: string; ruleVersion: number }> =>
  list
    .split(' ')
    .filter((item) => item !== '')
    .map((item) => {
      const [segmentId = '', version = '0'] = item.split(':');
      return { segmentId, ruleVersion: Number(version) };
    });

/** The history entries a changes row holds (of one segment only, when given). */
export function historyEntries(
  row: SegmentChangesTable,
  segmentId?: string,
): SegmentHistoryEntry[] {
  const entries: SegmentHistoryEntry[] = [];
  for (const change of ['entered', 'exited'] as const) {
    for (const { segmentId: id, ruleVersion } of parseChangeList(row[change])) {
      if (segmentId !== undefined && id !== segmentId) continue;
      entries.push({
        workspace_id: row.workspace_id,
        segment_id: id,
        contact_id: row.contact_id,
        change,
        effective_at: Number(row.effective_at),
        cause: row.cause,
        cause_event_id: row.cause_event_id,
        cause_event_type: row.cause_event_type,
        rule_version: ruleVersion,
        position: row.position,
        seq: Number(row.seq),
      });
    }
  }
  return entries;
}
