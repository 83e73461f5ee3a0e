/**
 * Refusals of the contact decider. `code` is the Intercom error code the HTTP edge answers with;
 * `field` names the offending request field when there is one. Codes and class names are stable.
 */
export type ContactErrorCode =
  | 'not_found'
  | 'contact_merged'
  | 'conflict'
  | 'invalid_merge'
  | 'parameter_invalid'
  | 'parameter_not_found'
  | 'contact_blocked';

export abstract class ContactDomainError extends Error {
  abstract readonly code: ContactErrorCode;
  readonly field?: string;
}

/** No such contact, or it was deleted. */
export class ContactNotFound extends ContactDomainError {
  override readonly name = 'ContactNotFound';
  readonly code = 'not_found';
  constructor(
    readonly contactId: string,
    /** The request field that named it, when not the contact's id (`email`, `user_id`). */
    override readonly field?: string,
  ) {
    super(`Contact not found: ${contactId}`);
  }
}

/** The contact was merged into `into`; callers follow the link. */
export class ContactMerged extends ContactDomainError {
  override readonly name = 'ContactMerged';
  readonly code = 'contact_merged';
  constructor(
    readonly contactId: string,
    readonly into: string,
    /** The request field that named it, when not the contact's id. */
    override readonly field?: string,
  ) {
    super(`Contact ${contactId} was merged into ${into}`);
  }
}

/** A create on an id that is already taken, or an external_id or email another contact holds. */
export class ContactAlreadyExists extends ContactDomainError {
  override readonly name = 'ContactAlreadyExists';
  readonly code = 'conflict';
  constructor(
    readonly contactId: string,
    /** The request field whose value the other contact holds. */
    override readonly field?: 'external_id' | 'email',
  ) {
    super(`A contact matching those details already exists with id=${contactId}`);
  }
}

/** A create that names none of email, external_id, role. */
export class MissingIdentity extends ContactDomainError {
  override readonly name = 'MissingIdentity';
  readonly code = 'parameter_not_found';
  constructor(readonly expected: readonly string[]) {
    super(`One of ${expected.join(', ')} is required`);
  }
}

/** A verification of an email (`email_verified`) written without the email it is about. */
export class EmailVerifiedWithoutEmail extends ContactDomainError {
  override readonly name = 'EmailVerifiedWithoutEmail';
  readonly code = 'parameter_invalid';
  override readonly field = 'email_verified';
  constructor() {
    super('email_verified must be supplied together with an email in the same request');
  }
}

/** A role change the lifecycle does not allow (a user never becomes a lead again). */
export class InvalidRoleChange extends ContactDomainError {
  override readonly name = 'InvalidRoleChange';
  readonly code = 'parameter_invalid';
  override readonly field = 'role';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`The role of a ${from} cannot change to ${to}`);
  }
}

/** A sign-up or log-in naming an identity other than the one the user already has. */
export class IdentityMismatch extends ContactDomainError {
  override readonly name = 'IdentityMismatch';
  readonly code = 'conflict';
  constructor(
    override readonly field: 'external_id' | 'email',
    readonly contactId: string,
  ) {
    super(`Contact ${contactId} already has a different ${field}`);
  }
}

/** Archiving applies to leads and users only. */
export class VisitorNotArchivable extends ContactDomainError {
  override readonly name = 'VisitorNotArchivable';
  readonly code = 'parameter_invalid';
  constructor(readonly contactId: string) {
    super(`Contact ${contactId} is a visitor; only leads and users can be archived`);
  }
}

/** A blocked contact starts no conversation and replies to nothing. */
export class ContactIsBlocked extends ContactDomainError {
  override readonly name = 'ContactIsBlocked';
  readonly code = 'contact_blocked';
  constructor(
    readonly contactId: string,
    /** The request field that named it. */
    override readonly field?: string,
  ) {
    super(`Contact ${contactId} is blocked`);
  }
}

/**
 * A refusal of the contact a request addressed, naming the request field that named it: deciders
 * know the contact, not how the request named it (`from.id`, `visitor.user_id`, …). Anything else,
 * a refusal of another contact, or one that names its field already, is returned as it is.
 */
export function refusalNamedBy(error: unknown, contactId: string, field: string): unknown {
  if (!(error instanceof ContactDomainError) || error.field !== undefined) return error;
  if (error instanceof ContactNotFound && error.contactId === contactId)
    return new ContactNotFound(contactId, field);
  if (error instanceof ContactMerged && error.contactId === contactId)
    return new ContactMerged(contactId, error.into, field);
  if (error instanceof ContactIsBlocked && error.contactId === contactId)
    return new ContactIsBlocked(contactId, field);
  return error;
}

/** A merge whose source or target does not qualify. */
export class InvalidMerge extends ContactDomainError {
  override readonly name = 'InvalidMerge';
  readonly code = 'invalid_merge';
  constructor(
    readonly reason: string,
    /** Which contact of the merge is refused: a merge request names it `from` or `into`. */
    readonly side: 'source' | 'target',
    /** The request field that named the contact refused, when the request names one. */
    override readonly field?: string,
  ) {
    super(reason);
  }
}

export type ContactError =
  | ContactNotFound
  | ContactMerged
  | ContactAlreadyExists
  | MissingIdentity
  | EmailVerifiedWithoutEmail
  | InvalidRoleChange
  | IdentityMismatch
  | VisitorNotArchivable
  | ContactIsBlocked
  | InvalidMerge
  | EventTimeInFuture
  | SummaryEndsBeforeItStarts
  | EmailOfSeveralLeads;

/** A reported summary of data events whose first occurrence is after its last. */
export class SummaryEndsBeforeItStarts extends ContactDomainError {
  override readonly name = 'SummaryEndsBeforeItStarts';
  readonly code = 'parameter_invalid';
  override readonly field = 'event_summaries.first';
  constructor() {
    super('event_summaries.first must not be after event_summaries.last');
  }
}

/** An event time further ahead of the clock than producers' drift explains. */
export class EventTimeInFuture extends ContactDomainError {
  override readonly name = 'EventTimeInFuture';
  readonly code = 'parameter_invalid';
  constructor(
    readonly at: number,
    readonly maxFutureSeconds: number,
    override readonly field: 'created_at' | 'last_seen_at' | 'event_summaries.last' = 'created_at',
  ) {
    super(`${field} ${at} is more than ${maxFutureSeconds / 60} minutes in the future`);
  }
}

/** An email that names no user and more than one lead: which one is meant cannot be told. */
export class EmailOfSeveralLeads extends ContactDomainError {
  override readonly name = 'EmailOfSeveralLeads';
  readonly code = 'conflict';
  constructor(
    readonly contactIds: readonly string[],
    /** The request field that gave the email, when not `email` (`filter.email`). */
    override readonly field: string = 'email',
  ) {
    super(`The email belongs to several leads (${contactIds.join(', ')}); address one by id`);
  }
}
