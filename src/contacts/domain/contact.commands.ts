import type { AttributeChanges, JsonValue, SeenContext, UnixSeconds } from './contact.attributes';
import type { ContactRef } from './contact.events';
import type { MergeSource } from './contact.state';

/**
 * Every command names its contact and workspace and carries `now` (unix seconds), injected by
 * the shell's clock: the domain never reads a clock, so replays and tests are deterministic.
 */
type ContactCommandOf<Type extends string, Data = object> = {
  readonly type: Type;
  readonly data: ContactRef & Data;
  readonly now: UnixSeconds;
};

/**
 * Commands that report something which happened elsewhere (the messenger, ingestion) may carry
 * its event time; it defaults to `now`. Late events are normal.
 */
interface Occurred {
  readonly occurredAt?: UnixSeconds;
}

export type RegisterVisitor = ContactCommandOf<
  'RegisterVisitor',
  Occurred & {
    /** The messenger's anonymous id; the contact id is used when the messenger gave none. */
    readonly userId?: string;
    readonly context?: SeenContext;
  }
>;

export type StartConversation = ContactCommandOf<
  'StartConversation',
  Occurred & { readonly conversationId?: string }
>;

export type ReplyToOutbound = ContactCommandOf<
  'ReplyToOutbound',
  Occurred & { readonly conversationId?: string; readonly outboundSentAt?: UnixSeconds }
>;

export type CreateContact = ContactCommandOf<
  'CreateContact',
  {
    /** Defaults to `user`, as Intercom does. */
    readonly role?: 'lead' | 'user';
    readonly attributes: AttributeChanges;
  }
>;

/**
 * `dropEmail`: a visitor or lead becoming a user leaves its email behind (the shell found another
 * user holding it) rather than keeping it, unless the command gives an email of its own.
 */
export type SignUp = ContactCommandOf<
  'SignUp',
  Occurred & {
    readonly external_id?: string;
    readonly email?: string;
    /** Defaults to the event time. */
    readonly signedUpAt?: UnixSeconds;
    readonly dropEmail?: boolean;
  }
>;

/** `dropEmail` as for `SignUp`. */
export type LogIn = ContactCommandOf<
  'LogIn',
  Occurred & {
    readonly external_id?: string;
    readonly email?: string;
    readonly dropEmail?: boolean;
  }
>;

export type UpdateContact = ContactCommandOf<
  'UpdateContact',
  Occurred & {
    readonly role?: 'lead' | 'user';
    readonly attributes: AttributeChanges;
    /**
     * Through the Visitors API: refused (not found) unless the contact is still a visitor when
     * the update is decided, since a visitor becomes a lead or user at any time (a conversation
     * it starts, a conversion).
     */
    readonly visitorsOnly?: boolean;
    /**
     * The email is one a messenger session supplied (typed in, `email.supplied`), not a write of
     * the user's own: `mergedFrom` is the contact the session was on before it was merged into
     * this one. Supplied before this contact became a user (or absorbed `mergedFrom`), it was the
     * visitor's or lead's email, which a user keeps its own over (see `emailOfLeadItWas`).
     */
    readonly supplied?: { readonly mergedFrom?: string };
  }
>;

export const DEFAULT_SEEN_THROTTLE_SECONDS = 300;

export type RecordSeen = ContactCommandOf<
  'RecordSeen',
  Occurred & {
    readonly context?: SeenContext;
    /** `SEEN_THROTTLE` from configuration; defaults to `DEFAULT_SEEN_THROTTLE_SECONDS`. */
    readonly throttleSeconds?: number;
  }
>;

export type ArchiveContact = ContactCommandOf<'ArchiveContact'>;

export type UnarchiveContact = ContactCommandOf<'UnarchiveContact'>;

export type BlockContact = ContactCommandOf<'BlockContact'>;

/** Source side of a merge: close this visitor or lead in favour of the user `into`. */
export type MergeInto = ContactCommandOf<
  'MergeInto',
  {
    readonly into: string;
    /**
     * Through the Visitors API (a conversion): refused (not found) unless this is still a visitor
     * when it is closed, neither a lead since nor merged already.
     */
    readonly visitorsOnly?: boolean;
    /**
     * The log-in that causes this merge gives the user an external_id of its own: this contact's
     * stays with it instead of filling the user's.
     */
    readonly keepExternalId?: boolean;
  }
>;

/**
 * Reopen this contact, closed by `MergeInto` for `into`, once `into` refuses it (see
 * `refusesMergeOf`): the merge did not happen.
 */
export type RevertMerge = ContactCommandOf<'RevertMerge', { readonly into: string }>;

/**
 * Target side of a merge: this user absorbs `source` (see `mergeSourceOf`), which must already
 * be closed by `MergeInto` or about to be. `duplicatesOnly` refuses a source that shares neither
 * email nor phone with the target (Intercom 2.16's merge rule).
 */
export type AbsorbMergedLead = ContactCommandOf<
  'AbsorbMergedLead',
  {
    readonly source: MergeSource;
    readonly mergedAt?: UnixSeconds;
    readonly duplicatesOnly?: boolean;
  }
>;

export type DeleteContact = ContactCommandOf<'DeleteContact'>;

export type TrackEvent = ContactCommandOf<
  'TrackEvent',
  {
    readonly name: string;
    readonly createdAt: UnixSeconds;
    readonly metadata?: Readonly<Record<string, JsonValue>>;
  }
>;

export type ReportEventSummary = ContactCommandOf<
  'ReportEventSummary',
  {
    readonly name: string;
    readonly count: number;
    readonly first: UnixSeconds;
    readonly last: UnixSeconds;
  }
>;

export type ContactCommand =
  | RegisterVisitor
  | StartConversation
  | ReplyToOutbound
  | CreateContact
  | SignUp
  | LogIn
  | UpdateContact
  | RecordSeen
  | ArchiveContact
  | UnarchiveContact
  | BlockContact
  | MergeInto
  | RevertMerge
  | AbsorbMergedLead
  | DeleteContact
  | TrackEvent
  | ReportEventSummary;
