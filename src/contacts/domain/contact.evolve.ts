import {
  applyCustomAttributes,
  defineOwn,
  emailVerifiedAfter,
  freshChanges,
  freshContext,
  reaffirmedAt,
  writtenFields,
  FLAG_ATTRIBUTES,
  type AttributeChanges,
  type SeenContext,
  type UnixSeconds,
} from './contact.attributes';
import type { ContactEvent, GivenIdentity } from './contact.events';
import {
  dataEventKey,
  eventSummaryKey,
  mergeSourceOf,
  newLiveContact,
  type ContactState,
  type LiveContact,
} from './contact.state';

const later = (a: UnixSeconds | null, b: UnixSeconds | null): UnixSeconds | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

const earlier = (a: UnixSeconds | null, b: UnixSeconds | null): UnixSeconds | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

/** Event time may arrive out of order; `updated_at` only moves forwards. */
const touched = (contact: LiveContact, at: UnixSeconds): LiveContact => ({
  ...contact,
  updated_at: Math.max(contact.updated_at, at),
});

/**
 * A contact, or a copy of one, while a fold writes its fields: the folds copy a contact once and
 * assign, where a literal of two spreads (`{ ...contact, ...changes }`) takes a slow path in V8
 * (see `newLiveContact`).
 */
type Writable<T> = { -readonly [Key in keyof T]: T[Key] };

const withAttributes = (contact: LiveContact, changes: AttributeChanges): LiveContact => {
  const next = { ...contact } as Writable<LiveContact>;
  for (const key of Object.keys(changes)) {
    if (key === 'custom_attributes' || key === 'last_seen_at') continue;
    const value = (changes as Record<string, unknown>)[key];
    if (value !== undefined) defineOwn(next, key, value);
  }
  const { custom_attributes, last_seen_at } = changes;
  next.email_verified = emailVerifiedAfter(contact, changes);
  // A late write never moves last_seen_at backwards.
  next.last_seen_at =
    last_seen_at === undefined ? contact.last_seen_at : later(contact.last_seen_at, last_seen_at);
  next.custom_attributes = custom_attributes
    ? applyCustomAttributes(contact.custom_attributes, custom_attributes)
    : contact.custom_attributes;
  return FLAG_ATTRIBUTES.some((flag) => (next[flag] as boolean | null) === null)
    ? withFlagsCleared(next)
    : next;
};

/** A write may send a flag as null (the API takes null as "clear"): a cleared flag is false. */
const withFlagsCleared = (contact: LiveContact): LiveContact => ({
  ...contact,
  ...Object.fromEntries(
    FLAG_ATTRIBUTES.map((flag) => [flag, (contact[flag] as boolean | null) ?? false]),
  ),
});

const withContext = (contact: LiveContact, context: SeenContext): Writable<LiveContact> =>
  writeContext({ ...contact }, context);

/** Writes `context` over `contact` (a copy of its own), as `withContext` tells. */
const writeContext = (
  contact: Writable<LiveContact>,
  context: SeenContext,
): Writable<LiveContact> => {
  const location = context.location ?? contact.location;
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    if (value !== undefined) defineOwn(contact, key, value);
  }
  contact.location = location;
  return contact;
};

const withIdentity = (contact: LiveContact, identity: GivenIdentity): LiveContact => ({
  ...contact,
  external_id: identity.external_id ?? contact.external_id,
  email: identity.email ?? contact.email,
  email_verified: emailVerifiedAfter(contact, identity),
});

const withoutEmail = (contact: LiveContact): LiveContact => ({
  ...contact,
  email: null,
  email_verified: emailVerifiedAfter(contact, { email: null }),
});

/** A write without its email: the user keeps its own (see `ContactUpdated.emailOfLeadItWas`). */
const withoutEmailWrite = ({
  email: _email,
  email_verified: _verified,
  ...others
}: AttributeChanges): AttributeChanges => others;

/** A visitor becoming a lead or user at `at` stops being one then. */
const leftVisitor = (contact: LiveContact, at: UnixSeconds): LiveContact =>
  contact.status === 'visitor' ? { ...contact, visitorUntil: at } : contact;

/**
 * A visitor becoming a lead at `at`. Reported late, from before the visitor became a lead or
 * user, it was a lead from then on, whatever it is now: only when it stopped being a visitor moves.
 */
const becameLead = (contact: LiveContact, at: UnixSeconds): LiveContact => {
  if (contact.status === 'visitor') return { ...contact, status: 'lead', visitorUntil: at };
  return contact.visitorUntil !== null && at < contact.visitorUntil
    ? { ...contact, visitorUntil: at }
    : contact;
};

const evolveLive = (contact: LiveContact, event: ContactEvent): ContactState => {
  switch (event.type) {
    case 'VisitorRegistered':
    case 'LeadCreated':
    case 'UserCreated':
      return contact;
    case 'ConversationStarted':
      return { ...contact, last_replied_at: later(contact.last_replied_at, event.data.startedAt) };
    case 'OutboundReplied':
      return {
        ...contact,
        last_replied_at: later(contact.last_replied_at, event.data.repliedAt),
        last_contacted_at: later(contact.last_contacted_at, event.data.outboundSentAt),
      };
    case 'VisitorBecameLead': {
      const at = event.data.becameLeadAt;
      const lead = becameLead(contact, at);
      return lead.status === contact.status ? lead : touched(lead, at);
    }
    case 'LeadSignedUp': {
      const user = withIdentity(
        {
          ...leftVisitor(contact, event.data.signedUpAt),
          status: 'user',
          userSince: earlier(contact.userSince, event.data.signedUpAt),
          signed_up_at: contact.signed_up_at ?? event.data.signedUpAt,
        },
        event.data.identity,
      );
      return touched(event.data.dropsEmail ? withoutEmail(user) : user, event.data.signedUpAt);
    }
    case 'ContactLoggedIn':
      return Object.keys(event.data.identity).length === 0
        ? contact
        : touched(withIdentity(contact, event.data.identity), event.data.loggedInAt);
    case 'ContactUpdated': {
      const { role, ...changes } = event.data.changes;
      const at = event.data.updatedAt;
      // Each field keeps its newest write by event time: a late write changes only the fields
      // nothing newer wrote (identities and last_seen_at as they arrive, see `FieldWrittenAt`).
      const converted =
        role === undefined
          ? contact
          : role === 'lead'
            ? becameLead(contact, at)
            : { ...leftVisitor(contact, at), status: role, userSince: at };
      const fresh = freshChanges(
        contact.fieldWrittenAt,
        event.data.emailOfLeadItWas && converted.status === 'user' && contact.email !== null
          ? withoutEmailWrite(changes)
          : changes,
        at,
      );
      // A copy of its own (see `withAttributes`): the rest is written in place.
      const written = withAttributes(converted, fresh) as Writable<LiveContact>;
      const fieldWrittenAt = reaffirmedAt(
        writtenFields(contact.fieldWrittenAt, fresh, at),
        event.data.reaffirmed ?? [],
        at,
      );
      if (fieldWrittenAt !== contact.fieldWrittenAt) written.fieldWrittenAt = fieldWrittenAt;
      // Values written again, and a late write of fields something newer wrote, change nothing
      // anyone reads now: updated_at stays with the last write that did.
      if (converted.status !== contact.status || Object.keys(fresh).length > 0)
        written.updated_at = Math.max(written.updated_at, at);
      return written;
    }
    case 'ContactSeen': {
      const { seenAt, context } = event.data;
      // Each field says what the newest sighting that reported it said; a late one moves
      // nothing back, last_seen_at included.
      const fresh = freshContext(contact.fieldWrittenAt, context, seenAt);
      const seen = withContext(contact, fresh);
      seen.fieldWrittenAt = writtenFields(contact.fieldWrittenAt, fresh, seenAt);
      seen.last_seen_at = later(contact.last_seen_at, seenAt);
      seen.lastSeenRecordedAt = later(contact.lastSeenRecordedAt, seenAt);
      return seen;
    }
    case 'ContactArchived':
      return touched({ ...contact, archived: true }, event.data.archivedAt);
    case 'ContactUnarchived':
      return touched({ ...contact, archived: false }, event.data.unarchivedAt);
    case 'ContactBlocked':
      return touched({ ...contact, blockedAt: event.data.blockedAt }, event.data.blockedAt);
    case 'ContactMergeReverted':
      return contact;
    case 'ContactMergedInto': {
      if (!mergeSourceOf(contact)) return contact;
      return {
        status: 'merged',
        id: contact.id,
        workspace_id: contact.workspace_id,
        into: event.data.into,
        mergedAt: event.data.mergedAt,
        closedAs: contact,
        ...(event.data.keepsExternalId ? { keepsExternalId: true } : {}),
      };
    }
    case 'LeadMergeAbsorbed': {
      const { last_replied_at, last_contacted_at, ...copied } = event.data.copied;
      return touched(
        {
          ...withAttributes(contact, copied),
          last_replied_at: later(contact.last_replied_at, last_replied_at ?? null),
          last_contacted_at: later(contact.last_contacted_at, last_contacted_at ?? null),
          dataEventKeys: event.data.dataEventKeys?.length
            ? contact.dataEventKeys.union(event.data.dataEventKeys)
            : contact.dataEventKeys,
          fieldWrittenAt: event.data.fieldWrittenAt
            ? { ...contact.fieldWrittenAt, ...event.data.fieldWrittenAt }
            : contact.fieldWrittenAt,
          blockedAt: earlier(contact.blockedAt, event.data.blockedAt ?? null),
          merge_history: [
            ...contact.merge_history,
            {
              source_contact_id: event.data.from,
              source_contact_role: event.data.sourceRole,
              merged_at: event.data.mergedAt,
            },
          ],
        },
        event.data.mergedAt,
      );
    }
    case 'ContactDeleted':
      return {
        status: 'deleted',
        id: contact.id,
        workspace_id: contact.workspace_id,
        deletedAt: event.data.deletedAt,
        absorbed: contact.merge_history.map((merge) => merge.source_contact_id),
      };
    case 'DataEventTracked':
      return {
        ...contact,
        dataEventKeys: contact.dataEventKeys.add(
          dataEventKey(event.data.name, event.data.createdAt),
        ),
      };
    case 'DataEventSummaryReported':
      return {
        ...contact,
        dataEventKeys: contact.dataEventKeys.add(eventSummaryKey(event.data)),
      };
  }
};

/** Only a creation event brings a contact into existence. */
const evolveNew = (event: ContactEvent): ContactState | undefined => {
  const { contactId: id, workspaceId: workspace_id } = event.data;
  if (event.type === 'VisitorRegistered') {
    const visitor: Writable<LiveContact> = newLiveContact({
      status: 'visitor',
      id,
      workspace_id,
      created_at: event.data.registeredAt,
    });
    const context = freshContext({}, event.data.context, event.data.registeredAt);
    // `newLiveContact` made it for this fold alone: written in place.
    visitor.user_id = event.data.userId;
    const registered = writeContext(visitor, context);
    registered.fieldWrittenAt = writtenFields({}, context, event.data.registeredAt);
    return registered;
  }
  if (event.type === 'LeadCreated' || event.type === 'UserCreated') {
    const status = event.type === 'LeadCreated' ? 'lead' : 'user';
    const created = newLiveContact({ status, id, workspace_id, created_at: event.data.createdAt });
    return {
      ...withAttributes(created, event.data.attributes),
      userSince: status === 'user' ? event.data.createdAt : null,
      fieldWrittenAt: writtenFields({}, event.data.attributes, event.data.createdAt),
    };
  }
  return undefined;
};

/** Folds one event into the state. Total: an event that does not apply leaves the state as is. */
export const evolve = (state: ContactState, event: ContactEvent): ContactState => {
  switch (state.status) {
    case 'none':
      return evolveNew(event) ?? state;
    case 'visitor':
    case 'lead':
    case 'user':
      return evolveLive(state, event);
    case 'merged':
      return event.type === 'ContactMergeReverted' && event.data.into === state.into
        ? state.closedAs
        : state;
    case 'deleted':
      return state;
  }
};
