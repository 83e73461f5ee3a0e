import type { WhatIfChange } from '../domain/what-if-history';
import type {
  SegmentDefinitionsTable,
  SegmentHistoryEntry,
} from '../../../projections/segment-membership/segment-membership.tables';
import type { JsonValue } from '../../contacts/domain/contact.attributes';

/** Intercom's segment object; `count` only when asked for. */
export interface SegmentResponse {
  readonly type: 'segment';
  readonly id: string;
  readonly name: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly person_type: string;
  readonly count?: number;
}

/** Our extension endpoints also show the rule and its version. */
export interface SegmentDefinitionResponse extends SegmentResponse {
  readonly rule: JsonValue;
  readonly rule_version: number;
}

export function toSegmentResponse(
  row: SegmentDefinitionsTable,
  options: { readonly includeCount?: boolean } = {},
): SegmentResponse {
  return {
    type: 'segment',
    id: row.segment_id,
    name: row.name,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    person_type: row.person_type,
    ...(options.includeCount ? { count: Number(row.member_count) } : {}),
  };
}

export function toSegmentDefinitionResponse(
  row: SegmentDefinitionsTable,
): SegmentDefinitionResponse {
  return {
    ...toSegmentResponse(row, { includeCount: true }),
    rule: JSON.parse(row.rule) as JsonValue,
    rule_version: Number(row.rule_version),
  };
}

export type MembershipCause =
  | { readonly type: 'event'; readonly event_id: string; readonly event_type: string }
  | { readonly type: 'deadline'; readonly deadline: number };

/** One entry or exit, as `GET /segments/{id}/history` lists it. */
export interface MembershipChangeResponse {
  readonly type: 'segment.membership_change';
  readonly contact_id: string;
  readonly change: 'entered' | 'exited';
  readonly effective_at: number;
  readonly cause: MembershipCause;
  readonly rule_version: number;
}

export function toMembershipChange(row: SegmentHistoryEntry): MembershipChangeResponse {
  const effectiveAt = Number(row.effective_at);
  return {
    type: 'segment.membership_change',
    contact_id: row.contact_id,
    change: row.change,
    effective_at: effectiveAt,
    cause:
      row.cause === 'deadline'
        ? { type: 'deadline', deadline: effectiveAt }
        : {
            type: 'event',
            event_id: row.cause_event_id ?? '',
            event_type: row.cause_event_type ?? '',
          },
    rule_version: Number(row.rule_version),
  };
}

/** One entry or exit an unsaved rule would have made (`POST /segments/preview/history`). */
export function toWhatIfChange(
  change: WhatIfChange & { readonly contactId: string },
): Omit<MembershipChangeResponse, 'rule_version'> {
  return {
    type: 'segment.membership_change',
    contact_id: change.contactId,
    change: change.change,
    effective_at: change.effectiveAt,
    cause:
      change.cause.type === 'deadline'
        ? { type: 'deadline', deadline: change.effectiveAt }
        : { type: 'event', event_id: change.cause.eventId, event_type: change.cause.eventType },
  };
}
