import {
  applyCustomAttributes,
  contextOfChanges,
  definedOnly,
  freshContext,
  reportedContext,
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

/** Event time may arrive out of order; `updated_at` only moves forwards. */
const touched = (contact: LiveContact, at: UnixSeconds): LiveContact => ({
  ...contact,
  updated_at: Math.max(contact.updated_at, at),
});

const withAttributes = (contact: LiveContact, changes: AttributeChanges): LiveContact => {
  const { custom_attributes, last_seen_at, ...standard } = changes;
  const next: LiveContact = {
    ...contact,
    ...definedOnly(standard),
    // A late write never moves last_seen_at backwards.
    last_seen_at:
      last_seen_at === undefined ? contact.last_seen_at : later(contact.last_seen_at, last_seen_at),
    custom_attributes: custom_attributes
      ? applyCustomAttributes(contact.custom_attributes, custom_attributes)
      : contact.custom_attributes,
  };
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

const withContext = (contact: LiveContact, context: SeenContext): LiveContact => ({
  ...contact,
  ...definedOnly(context),
  location: context.location ?? contact.location,
});

const withIdentity = (contact: LiveContact, identity: GivenIdentity): LiveContact => ({
  ...contact,
  external_id: identity.external_id ?? contact.external_id,
  email: identity.email ?? contact.email,
});

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
    case 'VisitorBecameLead':
      return touched({ ...contact, status: 'lead' }, event.data.becameLeadAt);
    case 'LeadSignedUp':
      return touched(
        withIdentity(
          {
            ...contact,
            status: 'user',
            signed_up_at: contact.signed_up_at ?? event.data.signedUpAt,
          },
          event.data.identity,
        ),
        event.data.signedUpAt,
      );
    case 'ContactLoggedIn':
      return Object.keys(event.data.identity).length === 0
        ? contact
        : touched(withIdentity(contact, event.data.identity), event.data.loggedInAt);
    case 'ContactUpdated': {
      const { role, ...changes } = event.data.changes;
      // Written as it arrives, and a report of its context fields (if any) at that time.
      const written = withAttributes({ ...contact, status: role ?? contact.status }, changes);
      const context = contextOfChanges(changes);
      return touched(
        Object.keys(context).length === 0
          ? written
          : {
              ...written,
              contextReportedAt: reportedContext(
                contact.contextReportedAt,
                context,
                event.data.updatedAt,
              ),
            },
        event.data.updatedAt,
      );
    }
    case 'ContactSeen': {
      const { seenAt, context } = event.data;
      // Each field says what the newest sighting that reported it said; a late one moves
      // nothing back, last_seen_at included.
      const fresh = freshContext(contact.contextReportedAt, context, seenAt);
      return {
        ...withContext(contact, fresh),
        contextReportedAt: reportedContext(contact.contextReportedAt, fresh, seenAt),
        last_seen_at: later(contact.last_seen_at, seenAt),
        lastSeenRecordedAt: later(contact.lastSeenRecordedAt, seenAt),
      };
    }
    case 'ContactArchived':
      return touched({ ...contact, archived: true }, event.data.archivedAt);
    case 'ContactUnarchived':
      return touched({ ...contact, archived: false }, event.data.unarchivedAt);
    case 'ContactMergedInto': {
      const source = mergeSourceOf(contact);
      if (!source) return contact;
      return {
        status: 'merged',
        id: contact.id,
        workspace_id: contact.workspace_id,
        into: event.data.into,
        mergedAt: event.data.mergedAt,
        source,
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
            ? new Set([...contact.dataEventKeys, ...event.data.dataEventKeys])
            : contact.dataEventKeys,
          contextReportedAt: event.data.contextReportedAt
            ? { ...contact.contextReportedAt, ...event.data.contextReportedAt }
            : contact.contextReportedAt,
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
      };
    case 'DataEventTracked':
      return {
        ...contact,
        dataEventKeys: new Set(contact.dataEventKeys).add(
          dataEventKey(event.data.name, event.data.createdAt),
        ),
      };
    case 'DataEventSummaryReported':
      return {
        ...contact,
        dataEventKeys: new Set(contact.dataEventKeys).add(eventSummaryKey(event.data)),
      };
  }
};

/** Only a creation event brings a contact into existence. */
const evolveNew = (event: ContactEvent): ContactState | undefined => {
  const { contactId: id, workspaceId: workspace_id } = event.data;
  if (event.type === 'VisitorRegistered') {
    const visitor = newLiveContact({
      status: 'visitor',
      id,
      workspace_id,
      created_at: event.data.registeredAt,
    });
    const context = freshContext({}, event.data.context, event.data.registeredAt);
    return {
      ...withContext({ ...visitor, user_id: event.data.userId }, context),
      contextReportedAt: reportedContext({}, context, event.data.registeredAt),
    };
  }
  if (event.type === 'LeadCreated' || event.type === 'UserCreated') {
    const status = event.type === 'LeadCreated' ? 'lead' : 'user';
    const created = newLiveContact({ status, id, workspace_id, created_at: event.data.createdAt });
    return withAttributes(created, event.data.attributes);
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
    case 'deleted':
      return state;
  }
};
