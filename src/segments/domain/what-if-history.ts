import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { SearchableContact } from '../../contacts/search/contact-search.evaluate';
import {
  isMemberAt,
  nextCheckAfter,
  type LastDataEventAt,
  type SegmentRuleSnapshot,
} from './segment-membership';

/** A whole second at which something of a contact happened, by event time, and what did. */
export interface PastInstant {
  readonly at: UnixSeconds;
  readonly eventId: string;
  readonly eventType: string;
}

/** What a what-if needs of one contact's past. */
export interface ContactPast {
  /**
   * Ascending: the event times of its events, and the dates of the data events it (or a lead
   * merged into it) did, which `has_done` reads.
   */
  readonly instants: readonly PastInstant[];
  /** The contact at `at`, when it was a live lead or user then. Asked at instants that never go back. */
  rowAt(at: UnixSeconds): SearchableContact | undefined;
  lastDataEventAt(at: UnixSeconds): LastDataEventAt;
}

export type WhatIfCause =
  | { readonly type: 'event'; readonly eventId: string; readonly eventType: string }
  | { readonly type: 'deadline' };

export interface WhatIfChange {
  readonly change: 'entered' | 'exited';
  readonly effectiveAt: UnixSeconds;
  readonly cause: WhatIfCause;
}

/**
 * The entries and exits of an unsaved rule for one contact over `(from, to]`, as the membership
 * projection would have recorded them had the rule been saved before `from` and every event
 * arrived in time: the contact is evaluated at each instant of its past, and at each deadline of
 * a relative part of the rule (`nextCheckAfter`) in between. Several events at one second are one
 * evaluation, caused by the last of them.
 */
export function membershipChangesOver(
  past: ContactPast,
  segment: SegmentRuleSnapshot,
  from: UnixSeconds,
  to: UnixSeconds,
): WhatIfChange[] {
  const changes: WhatIfChange[] = [];
  let index = past.instants.findIndex((instant) => instant.at > from);
  if (index < 0) index = past.instants.length;
  let at = from;
  let member = isMemberAt(past.rowAt(at), segment, at, past.lastDataEventAt(at));
  for (;;) {
    const deadline = nextCheckAfter(past.rowAt(at), segment, at, past.lastDataEventAt(at));
    let instant = past.instants[index];
    let next: UnixSeconds;
    let cause: WhatIfCause;
    if (instant !== undefined && (deadline === undefined || instant.at <= deadline)) {
      next = instant.at;
      while (past.instants[index + 1]?.at === next) instant = past.instants[++index]!;
      index += 1;
      cause = { type: 'event', eventId: instant.eventId, eventType: instant.eventType };
    } else if (deadline !== undefined) {
      next = deadline;
      cause = { type: 'deadline' };
    } else {
      return changes;
    }
    if (next > to) return changes;
    const memberThen = isMemberAt(past.rowAt(next), segment, next, past.lastDataEventAt(next));
    if (memberThen !== member)
      changes.push({ change: memberThen ? 'entered' : 'exited', effectiveAt: next, cause });
    member = memberThen;
    at = next;
  }
}
