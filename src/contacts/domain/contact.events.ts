import type {
  AttributeChanges,
  FieldWrittenAt,
  JsonValue,
  SeenContext,
  UnixSeconds,
} from './contact.attributes';

/*
 * Payload conventions: top-level keys are ours (camelCase); nested objects of contact fields
 * (`attributes`, `changes`, `copied`, `context`, `identity`) use Intercom's field names, so the
 * projection copies them without a mapping table. All PII of an event sits in those nested
 * objects, which is where erasure looks. Timestamps are event time in unix seconds.
 */

/** Every contact event names its contact and workspace, so a payload is meaningful on its own. */
export interface ContactRef {
  readonly contactId: string;
  readonly workspaceId: string;
}

type ContactEventOf<Type extends string, Data> = {
  readonly type: Type;
  readonly data: ContactRef & Data;
};

export type LiveRole = 'visitor' | 'lead' | 'user';
export type MergeSourceRole = 'visitor' | 'lead';

/**
 * What a merge copied from its source: blanks of the target filled by the source, and the
 * source's activity timestamps where they are later than the target's.
 */
export type MergedFields = AttributeChanges & {
  readonly last_replied_at?: UnixSeconds;
  readonly last_contacted_at?: UnixSeconds;
};

/** The identity a sign-up or log-in gave the contact; only the parts that were new to it. */
export interface GivenIdentity {
  readonly external_id?: string;
  readonly email?: string;
}

/** An anonymous messenger visitor appeared; `userId` is its anonymous messenger id. */
export type VisitorRegistered = ContactEventOf<
  'VisitorRegistered',
  { readonly userId: string; readonly registeredAt: UnixSeconds; readonly context: SeenContext }
>;

/** The contact started a conversation (it messaged in: moves `last_replied_at`). */
export type ConversationStarted = ContactEventOf<
  'ConversationStarted',
  { readonly startedAt: UnixSeconds; readonly conversationId: string | null }
>;

/**
 * The contact replied to an outbound message (moves `last_replied_at`, and `last_contacted_at`
 * to the outbound's send time when it is known).
 */
export type OutboundReplied = ContactEventOf<
  'OutboundReplied',
  {
    readonly repliedAt: UnixSeconds;
    readonly conversationId: string | null;
    readonly outboundSentAt: UnixSeconds | null;
  }
>;

/**
 * A visitor became a lead because it talked to the workspace. A conversation or reply reported
 * late, from before the visitor became a lead or user, records it again at its own time: the
 * contact was a lead from then on (whatever role it holds now, which this leaves as it is).
 */
export type VisitorBecameLead = ContactEventOf<
  'VisitorBecameLead',
  {
    readonly becameLeadAt: UnixSeconds;
    readonly cause: 'conversation_started' | 'outbound_replied';
  }
>;

/** A lead was created through the API with these initial fields. */
export type LeadCreated = ContactEventOf<
  'LeadCreated',
  { readonly createdAt: UnixSeconds; readonly attributes: AttributeChanges }
>;

/** A user was created through the API with these initial fields. */
export type UserCreated = ContactEventOf<
  'UserCreated',
  { readonly createdAt: UnixSeconds; readonly attributes: AttributeChanges }
>;

/** A visitor or lead signed up (or logged in for the first time) and is now a user. */
export type LeadSignedUp = ContactEventOf<
  'LeadSignedUp',
  {
    readonly fromRole: MergeSourceRole;
    readonly signedUpAt: UnixSeconds;
    readonly identity: GivenIdentity;
    /**
     * The user is without the email the visitor or lead had: another user held it, and an
     * address the visitor typed in does not make it that user. Its events before keep it. Absent,
     * the user keeps the email (unless `identity` gives another).
     */
    readonly dropsEmail?: true;
  }
>;

/** A user logged in; `identity` holds the identity parts it did not have before (often none). */
export type ContactLoggedIn = ContactEventOf<
  'ContactLoggedIn',
  { readonly loggedInAt: UnixSeconds; readonly identity: GivenIdentity }
>;

/**
 * Contact fields changed. `changes` holds only the fields whose value differs from before (a
 * custom attribute set to `null` was removed); `role` appears when a visitor or lead was promoted.
 * `reaffirmed` names (as `FieldWrittenAt` does) the timed fields the write repeated the value of
 * while being newer than their last write: only their write time moves, so that a late write
 * older than it leaves them be. An update that only reaffirms (`changes` empty, see
 * `onlyReaffirms`) changes nothing anyone reads: not `updated_at`, not the timeline. An update that
 * neither changes nor reaffirms records no event. Updates recorded before have no `reaffirmed`.
 */
export type ContactUpdated = ContactEventOf<
  'ContactUpdated',
  {
    readonly updatedAt: UnixSeconds;
    readonly changes: AttributeChanges & { readonly role?: 'lead' | 'user' };
    readonly reaffirmed?: readonly string[];
    /**
     * The email in `changes` was supplied by the visitor or lead this user was at `updatedAt`
     * (a messenger `email.supplied` reported after the sign-up, log-in or merge that made it a
     * user): it is the lead's email from then on, but a user keeps its own, and takes this one
     * only when it has none, as the sign-up or merge would have. Absent: an email written as any.
     */
    readonly emailOfLeadItWas?: true;
  }
>;

/** Whether an update only recorded the time of values written again (see `ContactUpdated`). */
export const onlyReaffirms = (update: ContactUpdated['data']): boolean =>
  Object.keys(update.changes).length === 0;

/**
 * The contact was seen by the messenger at `seenAt` from `context`. Throttled: at most one per
 * throttle window unless the context changed, and never for a time before `last_seen_at`.
 */
export type ContactSeen = ContactEventOf<
  'ContactSeen',
  { readonly seenAt: UnixSeconds; readonly context: SeenContext }
>;

/** The contact was archived (hidden from day-to-day lists, data kept). */
export type ContactArchived = ContactEventOf<
  'ContactArchived',
  { readonly archivedAt: UnixSeconds }
>;

/** The contact was unarchived. */
export type ContactUnarchived = ContactEventOf<
  'ContactUnarchived',
  { readonly unarchivedAt: UnixSeconds }
>;

/** The contact was blocked: it can no longer start conversations or reply (Intercom has no unblock). */
export type ContactBlocked = ContactEventOf<'ContactBlocked', { readonly blockedAt: UnixSeconds }>;

/**
 * Source side of a merge: this contact is closed and lives on as `into`. Every later command on
 * it is refused with `contact_merged`; reads follow the link to `into`.
 */
export type ContactMergedInto = ContactEventOf<
  'ContactMergedInto',
  {
    readonly into: string;
    readonly sourceRole: MergeSourceRole;
    readonly mergedAt: UnixSeconds;
    /**
     * The contact's external_id stays with it: the log-in that caused the merge gave `into` one
     * of its own (recorded only for a contact that has one). Absent, it fills `into`'s when
     * `into` has none (see `LeadMergeAbsorbed`).
     */
    readonly keepsExternalId?: true;
  }
>;

/**
 * A merge refused after it had closed this contact: its target was deleted before absorbing it.
 * The contact is open again exactly as it was when it was closed, as if the merge had never been
 * asked for; `revertedAt` is the `mergedAt` of the merge it undoes, so that no instant of event
 * time shows the refused merge.
 */
export type ContactMergeReverted = ContactEventOf<
  'ContactMergeReverted',
  { readonly into: string; readonly revertedAt: UnixSeconds }
>;

/**
 * Target side of a merge: this user absorbed the contact `from`. `copied` holds the fields the
 * source filled in (the target's own values win); the merge is added to `merge_history`. Its
 * external_id is among them since merges pass it on: absorptions recorded before never copied it.
 */
export type LeadMergeAbsorbed = ContactEventOf<
  'LeadMergeAbsorbed',
  {
    readonly from: string;
    readonly sourceRole: MergeSourceRole;
    readonly mergedAt: UnixSeconds;
    readonly copied: MergedFields;
    /**
     * The source's data event keys (see `dataEventKey`): its events count for the target, so a
     * retry of one is a duplicate there too. Absent from absorptions recorded before.
     */
    readonly dataEventKeys?: readonly string[];
    /**
     * When the fields in `copied` were last written (or reaffirmed) on the source: the target
     * keeps those times as its own, and its own for the fields it kept. Absorptions recorded
     * before carry only the context fields' times, or none.
     */
    readonly fieldWrittenAt?: FieldWrittenAt;
    /**
     * The source was blocked: the target is blocked from this time on (the merge, or the block
     * when a merge dated in the past came before it), unless it was blocked earlier. Absent when
     * the source was not blocked, and from absorptions recorded before, which left it unblocked.
     */
    readonly blockedAt?: UnixSeconds;
  }
>;

/** The contact was deleted; its PII must no longer be readable from any API. */
export type ContactDeleted = ContactEventOf<'ContactDeleted', { readonly deletedAt: UnixSeconds }>;

/**
 * A data event (Intercom `POST /events`) happened to the contact at `createdAt`. The pair
 * (name, createdAt) is unique per contact: a second submission of it records nothing.
 */
export type DataEventTracked = ContactEventOf<
  'DataEventTracked',
  {
    readonly name: string;
    readonly createdAt: UnixSeconds;
    readonly metadata: Readonly<Record<string, JsonValue>>;
  }
>;

/**
 * A summary of data events was reported for the contact (Intercom `POST /events/summaries`):
 * `count` occurrences of `name`, the first at `first` and the last at `last`, without the events
 * themselves. The same report again records nothing.
 */
export type DataEventSummaryReported = ContactEventOf<
  'DataEventSummaryReported',
  {
    readonly name: string;
    readonly count: number;
    readonly first: UnixSeconds;
    readonly last: UnixSeconds;
  }
>;

export type ContactEvent =
  | VisitorRegistered
  | ConversationStarted
  | OutboundReplied
  | VisitorBecameLead
  | LeadCreated
  | UserCreated
  | LeadSignedUp
  | ContactLoggedIn
  | ContactUpdated
  | ContactSeen
  | ContactArchived
  | ContactUnarchived
  | ContactBlocked
  | ContactMergedInto
  | ContactMergeReverted
  | LeadMergeAbsorbed
  | ContactDeleted
  | DataEventTracked
  | DataEventSummaryReported;

export type ContactEventType = ContactEvent['type'];
