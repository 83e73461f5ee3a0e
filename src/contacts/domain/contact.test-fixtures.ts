import { deciderSpecification } from '../../shared/testing/decider-specification';
import type { AttributeChanges } from './contact.attributes';
import { contactDecider } from './contact.decider';
import type { ContactEvent, MergeSourceRole } from './contact.events';
import type { ContactState } from './contact.state';

export const given = deciderSpecification(contactDecider);

export const contactId = 'contact-1';
export const workspaceId = 'ws-1';
export const ids = { contactId, workspaceId } as const;
export const T0 = 1_700_000_000;

export const fold = (events: readonly ContactEvent[]): ContactState =>
  events.reduce(contactDecider.evolve, contactDecider.initialState());

export const visitorRegistered = (at = T0, userId = 'anon-1'): ContactEvent => ({
  type: 'VisitorRegistered',
  data: { ...ids, userId, registeredAt: at, context: {} },
});

export const leadCreated = (attributes: AttributeChanges = {}, at = T0): ContactEvent => ({
  type: 'LeadCreated',
  data: { ...ids, createdAt: at, attributes },
});

export const userCreated = (
  attributes: AttributeChanges = { email: 'ada@example.com', external_id: 'ext-1' },
  at = T0,
): ContactEvent => ({ type: 'UserCreated', data: { ...ids, createdAt: at, attributes } });

export const becameLead = (at = T0): ContactEvent => ({
  type: 'VisitorBecameLead',
  data: { ...ids, becameLeadAt: at, cause: 'conversation_started' },
});

export const signedUp = (at = T0, fromRole: MergeSourceRole = 'visitor'): ContactEvent => ({
  type: 'LeadSignedUp',
  data: { ...ids, fromRole, signedUpAt: at, identity: {} },
});

export const mergedInto = (into = 'user-9', at = T0 + 10): ContactEvent => ({
  type: 'ContactMergedInto',
  data: { ...ids, into, sourceRole: 'lead', mergedAt: at },
});

export const deleted = (at = T0 + 10): ContactEvent => ({
  type: 'ContactDeleted',
  data: { ...ids, deletedAt: at },
});
