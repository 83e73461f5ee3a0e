import { Set as PersistentSet } from 'immutable';
import {
  arrivalOf,
  EMPTY_STANDARD_ATTRIBUTES,
  NO_ARRIVAL,
  type FieldWrittenAt,
  type CustomAttributes,
  type StandardAttributes,
  type UnixSeconds,
} from './contact.attributes';
import type { LiveRole, MergeSourceRole } from './contact.events';

/** No event yet: the id is free. */
export interface NoContact {
  readonly status: 'none';
}

/** One entry of Intercom's `merge_history`. */
export interface MergeHistoryItem {
  readonly source_contact_id: string;
  readonly source_contact_role: MergeSourceRole;
  readonly merged_at: UnixSeconds;
}

/**
 * A visitor, lead or user. `status` is the contact's role (Intercom `role`); contact fields keep
 * Intercom's names, our bookkeeping is camelCase.
 */
export interface LiveContact extends StandardAttributes {
  readonly status: LiveRole;
  readonly id: string;
  readonly workspace_id: string;
  readonly archived: boolean;
  /**
   * Whether its email was verified (Intercom 2.16's `email_verified`, which the contact object
   * does not show), as the last write of the email or of the flag said; null when not known.
   */
  readonly email_verified: boolean | null;
  /**
   * When the contact was blocked (ContactBlocked): from then on, by event time, it starts no
   * conversation and replies to nothing; null while it is not blocked.
   */
  readonly blockedAt: UnixSeconds | null;
  /**
   * When the visitor it was became a lead or user, by event time (the earliest known: a
   * conversation reported late moves it back, no further than its registration); null while it
   * is a visitor, and for a contact created as a lead or user.
   */
  readonly visitorUntil: UnixSeconds | null;
  /**
   * When it became a user, by event time (created as one, signed up or promoted); null while it
   * is a visitor or lead, and in a state read back from a row (which the decider never uses).
   */
  readonly userSince: UnixSeconds | null;
  /** The visitor's anonymous messenger id; kept after the visitor became a lead or user. */
  readonly user_id: string | null;
  readonly created_at: UnixSeconds;
  readonly updated_at: UnixSeconds;
  readonly last_replied_at: UnixSeconds | null;
  readonly last_contacted_at: UnixSeconds | null;
  /** Never holds `null` values: writing `null` removes the attribute. */
  readonly custom_attributes: CustomAttributes;
  readonly merge_history: readonly MergeHistoryItem[];
  /** Event time of the last `ContactSeen`: the start of the current throttle window. */
  readonly lastSeenRecordedAt: UnixSeconds | null;
  /** When each field was last written, in event time (see `FieldWrittenAt`). */
  readonly fieldWrittenAt: FieldWrittenAt;
  /**
   * Keys (see `dataEventKey`) of the data events already tracked, for deduplication. Persistent:
   * each event adds one without copying the others (a copied Set made folding a contact of
   * 20,000 data events take tens of seconds, N²/2 insertions).
   */
  readonly dataEventKeys: PersistentSet<string>;
}

/** What a merge target needs from its source; also kept on the closed source. */
export interface MergeSource {
  readonly contactId: string;
  readonly workspaceId: string;
  readonly role: MergeSourceRole;
  readonly attributes: StandardAttributes;
  /** Whether its email was verified: the target takes it with that email, and only then. */
  readonly email_verified: boolean | null;
  readonly custom_attributes: CustomAttributes;
  readonly last_replied_at: UnixSeconds | null;
  readonly last_contacted_at: UnixSeconds | null;
  /** Its data events' keys: a retry of one of them, addressed to it, lands on the target. */
  readonly dataEventKeys: readonly string[];
  /** When its fields were last written (absent from sources recorded before). */
  readonly fieldWrittenAt?: FieldWrittenAt;
  /** When it was blocked (see `LiveContact.blockedAt`): its target is blocked too, from the merge on. */
  readonly blockedAt: UnixSeconds | null;
}

/**
 * Merged into another contact: closed for commands. It keeps the contact it was when it was
 * closed, so that a merge interrupted before the target absorbed it can still complete (its merge
 * source, `mergeSourceOf`) and a refused merge reopens it as it was.
 */
export interface MergedContact {
  readonly status: 'merged';
  readonly id: string;
  readonly workspace_id: string;
  readonly into: string;
  readonly mergedAt: UnixSeconds;
  readonly closedAs: LiveContact;
  /** Its external_id stays with it rather than pass to `into` (see `ContactMergedInto`). */
  readonly keepsExternalId?: true;
}

/** Deleted: only the ids remain, no PII. */
export interface DeletedContact {
  readonly status: 'deleted';
  readonly id: string;
  readonly workspace_id: string;
  readonly deletedAt: UnixSeconds;
  /** The merge sources it had absorbed: they went with it. */
  readonly absorbed: readonly string[];
}

export type ContactState = NoContact | LiveContact | MergedContact | DeletedContact;

export const initialContactState = (): ContactState => ({ status: 'none' });

export const isLive = (state: ContactState): state is LiveContact =>
  state.status === 'visitor' || state.status === 'lead' || state.status === 'user';

/**
 * Whether the target of a merge refuses the source closed for it: deleted without having absorbed
 * it, it never will (a target deleted after absorbing it took the source with it).
 */
export const refusesMergeOf = (target: ContactState, sourceId: string): boolean =>
  target.status === 'deleted' && !target.absorbed.includes(sourceId);

export const dataEventKey = (name: string, createdAt: UnixSeconds): string =>
  JSON.stringify([name, createdAt]);

/** A reported summary's key among `dataEventKeys`: the whole report, so only a repeat matches. */
export const eventSummaryKey = (summary: {
  readonly name: string;
  readonly count: number;
  readonly first: UnixSeconds;
  readonly last: UnixSeconds;
}): string => JSON.stringify(['summary', summary.name, summary.count, summary.first, summary.last]);

export const newLiveContact = (fields: {
  readonly status: LiveRole;
  readonly id: string;
  readonly workspace_id: string;
  readonly created_at: UnixSeconds;
}): LiveContact => ({
  // Spelled out rather than spreading `EMPTY_STANDARD_ATTRIBUTES` and `fields`: V8 builds an
  // object from two spreads on a slow runtime path (~15 µs against under 1 µs here), and every
  // projection folds each creation through this. The return type keeps the list complete.
  status: fields.status,
  id: fields.id,
  workspace_id: fields.workspace_id,
  email: EMPTY_STANDARD_ATTRIBUTES.email,
  phone: EMPTY_STANDARD_ATTRIBUTES.phone,
  name: EMPTY_STANDARD_ATTRIBUTES.name,
  avatar: EMPTY_STANDARD_ATTRIBUTES.avatar,
  external_id: EMPTY_STANDARD_ATTRIBUTES.external_id,
  owner_id: EMPTY_STANDARD_ATTRIBUTES.owner_id,
  signed_up_at: EMPTY_STANDARD_ATTRIBUTES.signed_up_at,
  last_seen_at: EMPTY_STANDARD_ATTRIBUTES.last_seen_at,
  unsubscribed_from_emails: EMPTY_STANDARD_ATTRIBUTES.unsubscribed_from_emails,
  has_hard_bounced: EMPTY_STANDARD_ATTRIBUTES.has_hard_bounced,
  marked_email_as_spam: EMPTY_STANDARD_ATTRIBUTES.marked_email_as_spam,
  language_override: EMPTY_STANDARD_ATTRIBUTES.language_override,
  browser: EMPTY_STANDARD_ATTRIBUTES.browser,
  browser_version: EMPTY_STANDARD_ATTRIBUTES.browser_version,
  browser_language: EMPTY_STANDARD_ATTRIBUTES.browser_language,
  os: EMPTY_STANDARD_ATTRIBUTES.os,
  location: EMPTY_STANDARD_ATTRIBUTES.location,
  ...NO_ARRIVAL,
  archived: false,
  email_verified: null,
  blockedAt: null,
  visitorUntil: null,
  userSince: null,
  user_id: null,
  created_at: fields.created_at,
  updated_at: fields.created_at,
  last_replied_at: null,
  last_contacted_at: null,
  custom_attributes: {},
  merge_history: [],
  lastSeenRecordedAt: null,
  fieldWrittenAt: {},
  dataEventKeys: PersistentSet(),
});

const standardAttributesOf = (contact: LiveContact): StandardAttributes => ({
  email: contact.email,
  phone: contact.phone,
  name: contact.name,
  avatar: contact.avatar,
  external_id: contact.external_id,
  owner_id: contact.owner_id,
  signed_up_at: contact.signed_up_at,
  last_seen_at: contact.last_seen_at,
  unsubscribed_from_emails: contact.unsubscribed_from_emails,
  has_hard_bounced: contact.has_hard_bounced,
  marked_email_as_spam: contact.marked_email_as_spam,
  language_override: contact.language_override,
  browser: contact.browser,
  browser_version: contact.browser_version,
  browser_language: contact.browser_language,
  os: contact.os,
  location: contact.location,
  ...arrivalOf(contact),
});

/**
 * The merge source a contact offers: a live visitor or lead as it is now, a merged contact as it
 * was when it was closed; `undefined` for anything that cannot be a merge source.
 */
export const mergeSourceOf = (state: ContactState): MergeSource | undefined => {
  if (state.status === 'merged') {
    const closedAs = mergeSourceOf(state.closedAs);
    if (!state.keepsExternalId || closedAs === undefined) return closedAs;
    return { ...closedAs, attributes: { ...closedAs.attributes, external_id: null } };
  }
  if (state.status !== 'visitor' && state.status !== 'lead') return undefined;
  return {
    contactId: state.id,
    workspaceId: state.workspace_id,
    role: state.status,
    attributes: standardAttributesOf(state),
    email_verified: state.email_verified,
    custom_attributes: state.custom_attributes,
    last_replied_at: state.last_replied_at,
    last_contacted_at: state.last_contacted_at,
    dataEventKeys: state.dataEventKeys.toArray(),
    fieldWrittenAt: state.fieldWrittenAt,
    blockedAt: state.blockedAt,
  };
};
