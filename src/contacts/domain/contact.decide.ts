import {
  CONTEXT_FIELDS,
  STANDARD_ATTRIBUTE_NAMES,
  changedCustomAttributes,
  changedStandardAttributes,
  freshContext,
  definedOnly,
  emailVerifiedAfter,
  isEmptyLocation,
  reaffirmedFields,
  writeTimesOf,
  repeatedWrites,
  sameAttributeValue,
  supersededWrites,
  withMoreChanges,
  type AttributeChanges,
  type FieldWrittenAt,
  type CustomAttributeValue,
  type SeenContext,
  type StandardAttributeName,
  type StandardAttributes,
  type UnixSeconds,
} from './contact.attributes';
import {
  DEFAULT_SEEN_THROTTLE_SECONDS,
  type AbsorbMergedLead,
  type ArchiveContact,
  type BlockContact,
  type ContactCommand,
  type CreateContact,
  type DeleteContact,
  type LogIn,
  type MergeInto,
  type RecordSeen,
  type RegisterVisitor,
  type RevertMerge,
  type ReplyToOutbound,
  type SignUp,
  type StartConversation,
  type ReportEventSummary,
  type TrackEvent,
  type UnarchiveContact,
  type UpdateContact,
} from './contact.commands';
import {
  ContactAlreadyExists,
  ContactMerged,
  ContactNotFound,
  EmailVerifiedWithoutEmail,
  EventTimeInFuture,
  SummaryEndsBeforeItStarts,
  IdentityMismatch,
  InvalidMerge,
  InvalidRoleChange,
  MissingIdentity,
  VisitorNotArchivable,
  ContactIsBlocked,
} from './contact.errors';
import type {
  ContactArchived,
  ContactBlocked,
  ContactDeleted,
  ContactEvent,
  ContactMergedInto,
  ContactMergeReverted,
  ContactSeen,
  ContactUnarchived,
  ContactUpdated,
  DataEventSummaryReported,
  DataEventTracked,
  GivenIdentity,
  LeadCreated,
  LeadMergeAbsorbed,
  LeadSignedUp,
  MergedFields,
  UserCreated,
  VisitorRegistered,
} from './contact.events';
import {
  dataEventKey,
  eventSummaryKey,
  type ContactState,
  type LiveContact,
  type MergeSource,
} from './contact.state';

type Decision = readonly ContactEvent[];

/** Producers' clocks drift; an event time further ahead than this is a producer's bug. */
export const MAX_FUTURE_SECONDS = 300;

/**
 * When the command says it happened. Times only move forward on a contact (`last_seen_at`,
 * `last_replied_at`), so one far in the future would freeze them there: refused. One a little
 * ahead is a producer's clock running fast: it happened now.
 */
const eventTime = (command: {
  readonly now: UnixSeconds;
  readonly data: { readonly occurredAt?: UnixSeconds };
}): UnixSeconds =>
  Math.min(notInFuture(command.data.occurredAt ?? command.now, command.now), command.now);

const notInFuture = (
  at: UnixSeconds,
  now: UnixSeconds,
  field?: EventTimeInFuture['field'],
): UnixSeconds => {
  if (at > now + MAX_FUTURE_SECONDS) throw new EventTimeInFuture(at, MAX_FUTURE_SECONDS, field);
  return at;
};

/**
 * A `last_seen_at` written ahead of the clock would hold back every later sighting and write (it
 * never moves backwards): refused as a future event time is.
 */
const seenNotInFuture = (attributes: AttributeChanges, now: UnixSeconds): void => {
  if (attributes.last_seen_at != null) notInFuture(attributes.last_seen_at, now, 'last_seen_at');
};

/** Commands on an existing contact: refused when there is none, or when it was merged away. */
const requireLive = (state: ContactState, contactId: string): LiveContact => {
  switch (state.status) {
    case 'none':
    case 'deleted':
      throw new ContactNotFound(contactId);
    case 'merged':
      throw new ContactMerged(state.id, state.into);
    case 'visitor':
    case 'lead':
    case 'user':
      return state;
  }
};

export const registerVisitor = (command: RegisterVisitor, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const userId = command.data.userId ?? contactId;
  if (state.status === 'visitor' && state.user_id === userId) return [];
  if (state.status !== 'none') throw new ContactAlreadyExists(contactId);
  const registered: VisitorRegistered = {
    type: 'VisitorRegistered',
    data: {
      contactId,
      workspaceId,
      userId,
      registeredAt: eventTime(command),
      context: definedOnly(command.data.context ?? {}),
    },
  };
  return [registered];
};

/**
 * Whether the contact was a visitor at `at`: a visitor now, or one that became a lead or user only
 * after `at` (what happened at `at` was reported late).
 */
const wasVisitorAt = (contact: LiveContact, at: UnixSeconds): boolean =>
  contact.status === 'visitor' || (contact.visitorUntil !== null && at < contact.visitorUntil);

/**
 * Talking to the workspace is what turns an anonymous visitor into a lead: a visitor now, or one
 * that became a lead or user only after `at` (the conversation was reported late), from `at` on.
 * The service knew no such contact before it registered it (`as_of` finds none): a conversation
 * from before then, reported late, converts it when it was registered.
 */
const becomeLeadIfVisitor = (
  contact: LiveContact,
  command: { readonly data: { readonly contactId: string; readonly workspaceId: string } },
  at: UnixSeconds,
  cause: 'conversation_started' | 'outbound_replied',
): Decision => {
  const becameLeadAt = Math.max(at, registeredAt(contact));
  return wasVisitorAt(contact, becameLeadAt)
    ? [
        {
          type: 'VisitorBecameLead',
          data: {
            contactId: command.data.contactId,
            workspaceId: command.data.workspaceId,
            becameLeadAt,
            cause,
          },
        },
      ]
    : [];
};

/** A contact that was a visitor was created by its registration (`VisitorRegistered`). */
const registeredAt = (contact: LiveContact): UnixSeconds => contact.created_at;

/**
 * A contact blocked by `at` talks to the workspace no more; a conversation it had before the
 * block and reported late stands, as any late event does.
 */
const refuseIfBlockedAt = (contact: LiveContact, at: UnixSeconds): void => {
  if (contact.blockedAt !== null && at >= contact.blockedAt) throw new ContactIsBlocked(contact.id);
};

export const startConversation = (command: StartConversation, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  const startedAt = eventTime(command);
  refuseIfBlockedAt(contact, startedAt);
  return [
    {
      type: 'ConversationStarted',
      data: {
        contactId,
        workspaceId,
        startedAt,
        conversationId: command.data.conversationId ?? null,
      },
    },
    ...becomeLeadIfVisitor(contact, command, startedAt, 'conversation_started'),
  ];
};

export const replyToOutbound = (command: ReplyToOutbound, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  const repliedAt = eventTime(command);
  refuseIfBlockedAt(contact, repliedAt);
  return [
    {
      type: 'OutboundReplied',
      data: {
        contactId,
        workspaceId,
        repliedAt,
        conversationId: command.data.conversationId ?? null,
        outboundSentAt: command.data.outboundSentAt ?? null,
      },
    },
    ...becomeLeadIfVisitor(contact, command, repliedAt, 'outbound_replied'),
  ];
};

/** On creation a `null` means "not set", which is already the case. */
const withoutNulls = (attributes: AttributeChanges): AttributeChanges => {
  const { custom_attributes, ...standard } = attributes;
  const custom = Object.entries(custom_attributes ?? {}).filter(([, value]) => value !== null);
  return {
    ...Object.fromEntries(Object.entries(standard).filter(([, value]) => value != null)),
    ...(custom.length > 0 ? { custom_attributes: Object.fromEntries(custom) } : {}),
  };
};

/** A verification is of the email written with it (Intercom 2.16): alone, it is about nothing. */
const requireEmailOfVerification = (attributes: AttributeChanges): void => {
  if (attributes.email_verified !== undefined && typeof attributes.email !== 'string')
    throw new EmailVerifiedWithoutEmail();
};

export const createContact = (command: CreateContact, state: ContactState): Decision => {
  const { contactId, workspaceId, role, attributes } = command.data;
  if (state.status !== 'none') throw new ContactAlreadyExists(contactId);
  requireEmailOfVerification(attributes);
  if (!role && !attributes.email && !attributes.external_id) {
    throw new MissingIdentity(['email', 'external_id', 'role']);
  }
  seenNotInFuture(attributes, command.now);
  const data = {
    contactId,
    workspaceId,
    createdAt: command.now,
    attributes: withoutNulls(attributes),
  };
  const created: LeadCreated | UserCreated =
    role === 'lead' ? { type: 'LeadCreated', data } : { type: 'UserCreated', data };
  return [created];
};

/**
 * The identity a sign-up or log-in brings that the contact does not have yet. A user's identity
 * is settled: naming another one is a conflict (the shell routes an identity held by another
 * user to a merge instead). A visitor or lead simply takes the identity it is given.
 */
const newIdentity = (
  contact: LiveContact,
  given: { readonly external_id?: string; readonly email?: string },
): GivenIdentity => {
  if (given.external_id === undefined && given.email === undefined) {
    throw new MissingIdentity(['external_id', 'email']);
  }
  const identity: { external_id?: string; email?: string } = {};
  for (const field of ['external_id', 'email'] as const) {
    const value = given[field];
    if (value === undefined || value === contact[field]) continue;
    if (contact.status === 'user' && contact[field] !== null) {
      throw new IdentityMismatch(field, contact.id);
    }
    identity[field] = value;
  }
  return identity;
};

const signedUp = (
  contact: LiveContact & { readonly status: 'visitor' | 'lead' },
  command: SignUp | LogIn,
  signedUpAt: UnixSeconds,
  identity: GivenIdentity,
): LeadSignedUp => ({
  type: 'LeadSignedUp',
  data: {
    contactId: command.data.contactId,
    workspaceId: command.data.workspaceId,
    fromRole: contact.status,
    signedUpAt,
    identity,
    ...(command.data.dropEmail && command.data.email === undefined && contact.email !== null
      ? { dropsEmail: true as const }
      : {}),
  },
});

const loggedIn = (command: SignUp | LogIn, identity: GivenIdentity): ContactEvent => ({
  type: 'ContactLoggedIn',
  data: {
    contactId: command.data.contactId,
    workspaceId: command.data.workspaceId,
    loggedInAt: eventTime(command),
    identity,
  },
});

const isVisitorOrLead = (
  contact: LiveContact,
): contact is LiveContact & { readonly status: 'visitor' | 'lead' } => contact.status !== 'user';

/**
 * Signing up again as the user one already is counts as logging in. A sign-up that arrives after
 * a later log-in made the contact a user still dates the sign-up: signed_up_at moves back to it.
 */
export const signUp = (command: SignUp, state: ContactState): Decision => {
  const contact = requireLive(state, command.data.contactId);
  const identity = newIdentity(contact, command.data);
  const signedUpAt = command.data.signedUpAt ?? eventTime(command);
  if (isVisitorOrLead(contact)) return [signedUp(contact, command, signedUpAt, identity)];
  if (contact.signed_up_at === null || signedUpAt >= contact.signed_up_at)
    return [loggedIn(command, identity)];
  const { contactId, workspaceId } = command.data;
  const dated: ContactUpdated = {
    type: 'ContactUpdated',
    data: { contactId, workspaceId, updatedAt: signedUpAt, changes: { signed_up_at: signedUpAt } },
  };
  return [loggedIn(command, identity), dated];
};

/** A visitor or lead that logs in with an identity nobody holds becomes that user. */
export const logIn = (command: LogIn, state: ContactState): Decision => {
  const contact = requireLive(state, command.data.contactId);
  const identity = newIdentity(contact, command.data);
  if (!isVisitorOrLead(contact)) return [loggedIn(command, identity)];
  return [signedUp(contact, command, eventTime(command), identity), loggedIn(command, {})];
};

export const updateContact = (command: UpdateContact, state: ContactState): Decision => {
  const { contactId, workspaceId, role, attributes, visitorsOnly, supplied } = command.data;
  const contact = requireLive(state, contactId);
  if (visitorsOnly && contact.status !== 'visitor') throw new ContactNotFound(contactId);
  if (contact.status === 'user' && role === 'lead') throw new InvalidRoleChange('user', 'lead');
  if (supplied !== undefined && suppliedBeforeUser(contact, eventTime(command), supplied))
    return emailOfLeadItWas(command, contact, supplied);
  requireEmailOfVerification(attributes);
  seenNotInFuture(attributes, command.now);
  // Each field keeps its newest write (see `freshChanges`): a write dated ahead of the clock counts
  // as written now (`eventTime`), so that it cannot shadow the writes of the next minutes.
  const updatedAt = eventTime(command);
  const { custom_attributes, last_seen_at, email_verified, ...standard } = attributes;
  const custom = changedCustomAttributes(contact.custom_attributes, custom_attributes ?? {});
  const differing: AttributeChanges = {
    ...changedStandardAttributes(contact, standard),
    ...(Object.keys(custom).length > 0 ? { custom_attributes: custom } : {}),
  };
  const repeats = repeatedWrites(
    { ...standard, ...(custom_attributes ? { custom_attributes } : {}) },
    differing,
  );
  // A late write of the value a newer write left is history all the same (the value before it
  // was another): recorded as any late write is, which the fold of now leaves be.
  const changedFields = withMoreChanges(
    differing,
    supersededWrites(contact.fieldWrittenAt, repeats, updatedAt),
  );
  // Becoming a lead, reported late from before the visitor became a lead or user, records the
  // conversion again at its own time, as a conversation reported late does; from before the
  // visitor was registered, at its registration, after the write (see `becomeLeadIfVisitor`).
  const convertedAt = role === 'lead' ? Math.max(updatedAt, registeredAt(contact)) : updatedAt;
  const becomes =
    role !== undefined &&
    (role !== contact.status || (role === 'lead' && wasVisitorAt(contact, convertedAt)));
  const conversion: ContactUpdated[] =
    becomes && convertedAt !== updatedAt
      ? [
          {
            type: 'ContactUpdated',
            data: { contactId, workspaceId, updatedAt: convertedAt, changes: { role } },
          },
        ]
      : [];
  const changes: ContactUpdated['data']['changes'] = {
    ...(becomes && conversion.length === 0 ? { role } : {}),
    ...changedFields,
    // last_seen_at never moves backwards, not even by an explicit write.
    ...(last_seen_at != null &&
    (contact.last_seen_at === null || last_seen_at > contact.last_seen_at)
      ? { last_seen_at }
      : {}),
    ...emailVerificationChange(contact, standard.email, email_verified),
  };
  // A repeated value newer than its field's last write is still that field's newest write: its
  // time is recorded, or a late write older than it would overwrite the value.
  const reaffirmed = reaffirmedFields(contact.fieldWrittenAt, repeats, updatedAt);
  if (Object.keys(changes).length === 0 && reaffirmed.length === 0) return conversion;
  const updated: ContactUpdated = {
    type: 'ContactUpdated',
    data: {
      contactId,
      workspaceId,
      updatedAt,
      changes,
      ...(reaffirmed.length > 0 ? { reaffirmed } : {}),
    },
  };
  return [updated, ...conversion];
};

/**
 * Whether an email a messenger session supplied at `at` is the one the visitor or lead this user
 * was typed in: the contact became a user after `at`, or absorbed the session's contact
 * (`mergedFrom`) after it. Items of one session arrive in any order: the sign-up, log-in or merge
 * may have been recorded first.
 */
const suppliedBeforeUser = (
  contact: LiveContact,
  at: UnixSeconds,
  supplied: { readonly mergedFrom?: string },
): boolean => {
  if (contact.status !== 'user') return false;
  if (supplied.mergedFrom === undefined)
    return contact.userSince !== null && at < contact.userSince;
  const merge = contact.merge_history.find(
    (item) => item.source_contact_id === supplied.mergedFrom,
  );
  return merge !== undefined && at < merge.merged_at;
};

/**
 * An email the visitor or lead a user was supplied, reported after it became the user: what the
 * same items give in event-time order. The user keeps its own email (a typed address never decides
 * who a user is, and a merge target's values win), taking this one only when it has none, as the
 * sign-up or merge would have; the write is recorded at its time all the same, so that `as_of`
 * shows the lead with it then (see `ContactUpdated.emailOfLeadItWas`). A visitor that had not
 * talked to the workspace by then became a lead by supplying it, as a conversation reported late
 * makes it one (see `becomeLeadIfVisitor`). The session's visitor merged into the user is closed:
 * its conversion is not the user's, and its email, when the user keeps its own, changes nothing
 * here. The other attributes are written as any late write is.
 */
const emailOfLeadItWas = (
  command: UpdateContact,
  contact: LiveContact,
  supplied: { readonly mergedFrom?: string },
): Decision => {
  const { contactId, workspaceId } = command.data;
  const { email, email_verified: _verified, ...others } = command.data.attributes;
  const { supplied: _supplied, ...data } = command.data;
  const at = eventTime(command);
  const rest = updateContact({ ...command, data: { ...data, attributes: others } }, contact);
  const written = rest.find((event): event is ContactUpdated => event.type === 'ContactUpdated');
  const ofMergedVisitor = supplied.mergedFrom !== undefined;
  const writesEmail =
    typeof email === 'string' &&
    email !== contact.email &&
    !(ofMergedVisitor && contact.email !== null);
  const convertedAt = Math.max(at, registeredAt(contact));
  const converts = !ofMergedVisitor && wasVisitorAt(contact, convertedAt);
  const changes: ContactUpdated['data']['changes'] = {
    ...(converts && convertedAt === at ? { role: 'lead' as const } : {}),
    ...written?.data.changes,
    ...(writesEmail ? { email } : {}),
  };
  const conversion: ContactUpdated[] =
    converts && convertedAt !== at
      ? [
          {
            type: 'ContactUpdated',
            data: { contactId, workspaceId, updatedAt: convertedAt, changes: { role: 'lead' } },
          },
        ]
      : [];
  if (written === undefined && Object.keys(changes).length === 0) return conversion;
  const update: ContactUpdated = {
    type: 'ContactUpdated',
    data: {
      ...(written?.data ?? { contactId, workspaceId, updatedAt: at }),
      changes,
      ...(writesEmail ? { emailOfLeadItWas: true as const } : {}),
    },
  };
  return [update, ...conversion];
};

/**
 * The verification an update records: whenever it moves, a reset by another email included, so
 * that the timeline shows it; and whenever another email keeps one, which the fold would
 * otherwise reset (see `emailVerifiedAfter`).
 */
const emailVerificationChange = (
  contact: LiveContact,
  email: string | null | undefined,
  email_verified: boolean | null | undefined,
): { readonly email_verified?: boolean | null } => {
  const verified = emailVerifiedAfter(contact, { email, email_verified });
  const unsaid = emailVerifiedAfter(contact, { email });
  return verified !== contact.email_verified || verified !== unsaid
    ? { email_verified: verified }
    : {};
};

const contextChanged = (contact: LiveContact, context: SeenContext): boolean =>
  (Object.keys(context) as (keyof SeenContext)[]).some((key) => {
    const value = context[key];
    return value !== undefined && !sameAttributeValue(key, contact[key], value);
  });

export const recordSeen = (command: RecordSeen, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  const seenAt = eventTime(command);
  const context = definedOnly(command.data.context ?? {});
  // A late sighting leaves last_seen_at with the newest one: it is recorded only when some field
  // of its context is newer than the last report of that field (see `freshContext`).
  const late = contact.last_seen_at !== null && seenAt < contact.last_seen_at;
  if (late && !contextChanged(contact, freshContext(contact.fieldWrittenAt, context, seenAt)))
    return [];
  const window = command.data.throttleSeconds ?? DEFAULT_SEEN_THROTTLE_SECONDS;
  const throttled =
    contact.lastSeenRecordedAt !== null && seenAt - contact.lastSeenRecordedAt < window;
  if (throttled && !contextChanged(contact, context)) return [];
  const seen: ContactSeen = {
    type: 'ContactSeen',
    data: { contactId, workspaceId, seenAt, context },
  };
  return [seen];
};

export const archiveContact = (command: ArchiveContact, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  if (contact.status === 'visitor') throw new VisitorNotArchivable(contactId);
  if (contact.archived) return [];
  const archived: ContactArchived = {
    type: 'ContactArchived',
    data: { contactId, workspaceId, archivedAt: command.now },
  };
  return [archived];
};

export const blockContact = (command: BlockContact, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  if (contact.blockedAt !== null) return [];
  const blocked: ContactBlocked = {
    type: 'ContactBlocked',
    data: { contactId, workspaceId, blockedAt: command.now },
  };
  return [blocked];
};

export const unarchiveContact = (command: UnarchiveContact, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  const contact = requireLive(state, contactId);
  if (contact.status === 'visitor') throw new VisitorNotArchivable(contactId);
  if (!contact.archived) return [];
  const unarchived: ContactUnarchived = {
    type: 'ContactUnarchived',
    data: { contactId, workspaceId, unarchivedAt: command.now },
  };
  return [unarchived];
};

export const mergeInto = (command: MergeInto, state: ContactState): Decision => {
  const { contactId, workspaceId, into, visitorsOnly, keepExternalId } = command.data;
  if (into === contactId)
    throw new InvalidMerge('A contact cannot be merged into itself', 'target');
  if (visitorsOnly && state.status !== 'visitor') throw new ContactNotFound(contactId);
  switch (state.status) {
    case 'none':
      throw new ContactNotFound(contactId);
    case 'deleted':
      throw new InvalidMerge(`Contact ${contactId} is deleted`, 'source');
    case 'merged':
      // A retry of the same merge (e.g. by the process manager) is not an error.
      if (state.into === into) return [];
      throw new InvalidMerge(
        `Contact ${contactId} was already merged into ${state.into}`,
        'source',
      );
    case 'user':
      throw new InvalidMerge(`Contact ${contactId} is a user; only a lead can be merged`, 'source');
    case 'visitor':
    case 'lead': {
      const merged: ContactMergedInto = {
        type: 'ContactMergedInto',
        data: {
          contactId,
          workspaceId,
          into,
          sourceRole: state.status,
          mergedAt: command.now,
          // Only an external_id it has can stay with it.
          ...(keepExternalId && state.external_id !== null ? { keepsExternalId: true } : {}),
        },
      };
      return [merged];
    }
  }
};

/**
 * Only the merge named is undone: a contact open again (reverted already) or merged since into
 * another user is left as it is, so a late retry of the revert changes nothing.
 */
export const revertMerge = (command: RevertMerge, state: ContactState): Decision => {
  const { contactId, workspaceId, into } = command.data;
  if (state.status === 'none') throw new ContactNotFound(contactId);
  if (state.status !== 'merged' || state.into !== into) return [];
  const reverted: ContactMergeReverted = {
    type: 'ContactMergeReverted',
    data: { contactId, workspaceId, into, revertedAt: state.mergedAt },
  };
  return [reverted];
};

/**
 * Fields a merge can fill. The external_id too: it is the identity upstream systems know the
 * person by, and its reservation passes from the source to the target with it (`completeMerge`).
 */
const FILLABLE: readonly StandardAttributeName[] = STANDARD_ATTRIBUTE_NAMES.filter(
  (name) =>
    name !== 'last_seen_at' &&
    name !== 'unsubscribed_from_emails' &&
    name !== 'has_hard_bounced' &&
    name !== 'marked_email_as_spam',
);

const isBlank = (name: StandardAttributeName, attributes: StandardAttributes): boolean => {
  const value = attributes[name];
  return name === 'location' ? isEmptyLocation(attributes.location) : value === null;
};

const laterOf = (
  target: UnixSeconds | null,
  source: UnixSeconds | null,
): UnixSeconds | undefined =>
  source !== null && (target === null || source > target) ? source : undefined;

/**
 * Target values win and the source fills blanks. Activity timestamps take the later of the two,
 * because the source's activity now counts as the target's; an unsubscribe carries over, because
 * the person asked for it whichever record they were on.
 */
/**
 * Whether the source's value of a context field is the newer report: a field the target holds
 * without a known report time (written at creation, or by an older build) is kept.
 */
const newerContextOnSource = (
  name: keyof SeenContext,
  target: LiveContact,
  source: MergeSource,
): boolean => {
  const sourceAt = source.fieldWrittenAt?.[name];
  const targetAt = target.fieldWrittenAt[name];
  return (
    sourceAt !== undefined &&
    !isBlank(name, source.attributes) &&
    (isBlank(name, target) || (targetAt !== undefined && sourceAt > targetAt))
  );
};

/**
 * What the target takes from the source: the fields it lacks, and the context fields the source
 * saw last; with the source's write times of those fields (reaffirmations included), for the
 * target to keep, so that a late write older than the source's leaves the merged value be.
 */
const mergedFields = (
  target: LiveContact,
  source: MergeSource,
): { copied: MergedFields; fieldWrittenAt: FieldWrittenAt } => {
  const filled: Partial<Record<StandardAttributeName, unknown>> = {};
  for (const name of FILLABLE) {
    const newerOnSource =
      CONTEXT_FIELDS.includes(name as keyof SeenContext) &&
      newerContextOnSource(name as keyof SeenContext, target, source);
    if (newerOnSource || (isBlank(name, target) && !isBlank(name, source.attributes))) {
      filled[name] = source.attributes[name];
    }
  }
  const custom: Record<string, CustomAttributeValue> = {};
  for (const [name, value] of Object.entries(source.custom_attributes)) {
    if (!(name in target.custom_attributes) && value !== null) custom[name] = value;
  }
  const attributes: AttributeChanges = {
    ...(filled as Partial<StandardAttributes>),
    ...(filled.email !== undefined && source.email_verified !== null
      ? { email_verified: source.email_verified }
      : {}),
    ...(source.attributes.unsubscribed_from_emails && !target.unsubscribed_from_emails
      ? { unsubscribed_from_emails: true }
      : {}),
    ...(Object.keys(custom).length > 0 ? { custom_attributes: custom } : {}),
  };
  const copied = definedOnly({
    ...attributes,
    last_seen_at: laterOf(target.last_seen_at, source.attributes.last_seen_at),
    last_replied_at: laterOf(target.last_replied_at, source.last_replied_at),
    last_contacted_at: laterOf(target.last_contacted_at, source.last_contacted_at),
  });
  return { copied, fieldWrittenAt: writeTimesOf(source.fieldWrittenAt ?? {}, attributes) };
};

export const absorbMergedLead = (command: AbsorbMergedLead, state: ContactState): Decision => {
  const { contactId, workspaceId, source } = command.data;
  switch (state.status) {
    case 'none':
      throw new ContactNotFound(contactId);
    case 'deleted':
    case 'merged':
      throw new InvalidMerge(`Merge target ${contactId} is ${state.status}`, 'target');
    case 'visitor':
    case 'lead':
      throw new InvalidMerge(
        `Merge target ${contactId} is a ${state.status}; it must be a user`,
        'target',
      );
    case 'user':
      break;
  }
  if (source.contactId === contactId)
    throw new InvalidMerge('A contact cannot be merged into itself', 'target');
  if (source.workspaceId !== workspaceId) {
    throw new InvalidMerge('Source and target belong to different workspaces', 'target');
  }
  if (state.merge_history.some((item) => item.source_contact_id === source.contactId)) return [];
  if (command.data.duplicatesOnly && !areDuplicates(source, state)) {
    throw new InvalidMerge(
      'Contacts can only be merged when they are duplicates (matching email or phone). ' +
        'Pass skip_duplicate_validation=true to override this check.',
      'source',
    );
  }
  const { copied, fieldWrittenAt } = mergedFields(state, source);
  const mergedAt = command.data.mergedAt ?? command.now;
  const blockedAt = carriedBlock(state, source, mergedAt);
  const absorbed: LeadMergeAbsorbed = {
    type: 'LeadMergeAbsorbed',
    data: {
      contactId,
      workspaceId,
      from: source.contactId,
      sourceRole: source.role,
      mergedAt,
      copied,
      ...(source.dataEventKeys.length > 0 ? { dataEventKeys: source.dataEventKeys } : {}),
      ...(Object.keys(fieldWrittenAt).length > 0 ? { fieldWrittenAt } : {}),
      ...(blockedAt !== undefined ? { blockedAt } : {}),
    },
  };
  return [absorbed];
};

/**
 * A block is on the person, whichever record they were on: a blocked source's carries over to
 * its target from the merge on (from the block, when a merge dated in the past came before it).
 * A target blocked by then already stays blocked from its own, earlier, time.
 */
const carriedBlock = (
  target: LiveContact,
  source: MergeSource,
  mergedAt: UnixSeconds,
): UnixSeconds | undefined => {
  if (source.blockedAt === null) return undefined;
  const from = Math.max(source.blockedAt, mergedAt);
  return target.blockedAt !== null && target.blockedAt <= from ? undefined : from;
};

/** Same email (case aside) or same phone number (spacing and punctuation aside). */
const areDuplicates = (source: MergeSource, target: LiveContact): boolean => {
  const email = (value: string | null) => value?.trim().toLowerCase() || null;
  const phone = (value: string | null) => value?.replace(/[\s().-]/g, '') || null;
  const sameWhenBothSet = (a: string | null, b: string | null) => a !== null && a === b;
  return (
    sameWhenBothSet(email(source.attributes.email), email(target.email)) ||
    sameWhenBothSet(phone(source.attributes.phone), phone(target.phone))
  );
};

export const deleteContact = (command: DeleteContact, state: ContactState): Decision => {
  const { contactId, workspaceId } = command.data;
  requireLive(state, contactId);
  const deleted: ContactDeleted = {
    type: 'ContactDeleted',
    data: { contactId, workspaceId, deletedAt: command.now },
  };
  return [deleted];
};

export const reportEventSummary = (command: ReportEventSummary, state: ContactState): Decision => {
  const { contactId, workspaceId, name, count, first, last } = command.data;
  const contact = requireLive(state, contactId);
  const summary = { name, count, first, last };
  if (contact.dataEventKeys.has(eventSummaryKey(summary))) return [];
  if (first > last) throw new SummaryEndsBeforeItStarts();
  notInFuture(last, command.now, 'event_summaries.last');
  const reported: DataEventSummaryReported = {
    type: 'DataEventSummaryReported',
    data: { contactId, workspaceId, ...summary },
  };
  return [reported];
};

export const trackEvent = (command: TrackEvent, state: ContactState): Decision => {
  const { contactId, workspaceId, name, createdAt } = command.data;
  const contact = requireLive(state, contactId);
  // A repeat is ignored as always, even one accepted while the clock said otherwise.
  if (contact.dataEventKeys.has(dataEventKey(name, createdAt))) return [];
  notInFuture(createdAt, command.now);
  const tracked: DataEventTracked = {
    type: 'DataEventTracked',
    data: { contactId, workspaceId, name, createdAt, metadata: command.data.metadata ?? {} },
  };
  return [tracked];
};

/** Refuses by throwing a `ContactDomainError`; `[]` means the command changes nothing. */
export const decide = (command: ContactCommand, state: ContactState): Decision => {
  const { type } = command;
  switch (type) {
    case 'RegisterVisitor':
      return registerVisitor(command, state);
    case 'StartConversation':
      return startConversation(command, state);
    case 'ReplyToOutbound':
      return replyToOutbound(command, state);
    case 'CreateContact':
      return createContact(command, state);
    case 'SignUp':
      return signUp(command, state);
    case 'LogIn':
      return logIn(command, state);
    case 'UpdateContact':
      return updateContact(command, state);
    case 'RecordSeen':
      return recordSeen(command, state);
    case 'ArchiveContact':
      return archiveContact(command, state);
    case 'UnarchiveContact':
      return unarchiveContact(command, state);
    case 'BlockContact':
      return blockContact(command, state);
    case 'MergeInto':
      return mergeInto(command, state);
    case 'RevertMerge':
      return revertMerge(command, state);
    case 'AbsorbMergedLead':
      return absorbMergedLead(command, state);
    case 'DeleteContact':
      return deleteContact(command, state);
    case 'TrackEvent':
      return trackEvent(command, state);
    case 'ReportEventSummary':
      return reportEventSummary(command, state);
    default: {
      const unknown: never = type;
      throw new Error(`Unknown contact command: ${String(unknown)}`);
    }
  }
};
