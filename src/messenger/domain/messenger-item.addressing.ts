import type { GivenIdentity } from '../../contacts/domain/contact.events';
import { IDENTIFYING_TYPES, type MessengerItem } from './messenger-item';

/**
 * Whom a messenger item addresses (ingestion.md), and what else it says that must agree:
 *
 * - `contact_id`: that contact; the identity it gives must be that contact's, and its visitor_id
 *   must lead to it or to nobody yet;
 * - `identity`: the holder of the external_id or email it names (`field` names it in a refusal),
 *   its visitor_id checked as a contact_id's is: the identity says who the person is, the
 *   visitor_id only which browser reported it;
 * - `visitor_id`: whom the visitor id leads to (a new visitor when nobody yet), for an item
 *   naming no identity, and for a sign-up or log-in, which gives the session its identity.
 */
export type ItemAddressing =
  | {
      readonly by: 'contact_id';
      readonly contactId: string;
      readonly identity: GivenIdentity;
      readonly visitorId?: string;
    }
  | {
      readonly by: 'identity';
      readonly identity: GivenIdentity;
      readonly field: 'external_id' | 'email';
      readonly visitorId?: string;
    }
  | { readonly by: 'visitor_id'; readonly visitorId: string };

export function addressingOf(item: MessengerItem): ItemAddressing {
  const identity = addressingIdentityOf(item);
  const visitor = item.visitorId !== undefined ? { visitorId: item.visitorId } : {};
  if (item.contactId !== undefined)
    return { by: 'contact_id', contactId: item.contactId, identity, ...visitor };
  const named = identity.external_id !== undefined || identity.email !== undefined;
  if (item.visitorId !== undefined && (!named || IDENTIFYING_TYPES.has(item.type)))
    return { by: 'visitor_id', visitorId: item.visitorId };
  return {
    by: 'identity',
    identity,
    field: identity.external_id !== undefined ? 'external_id' : 'email',
    ...visitor,
  };
}

/** The field naming the contact an item addresses: a `not_found` refusal names it. */
export function addressingField(item: MessengerItem): string {
  const addressing = addressingOf(item);
  return addressing.by === 'identity' ? addressing.field : addressing.by;
}

/**
 * The identity an item names its contact by. A sign-up or log-in gives it rather than being
 * addressed by it (identity resolution decides whom it makes the session); `email.supplied`'s
 * email is the address the visitor typed in, which never decides who someone is.
 */
function addressingIdentityOf(item: MessengerItem): GivenIdentity {
  return {
    ...(item.externalId !== undefined ? { external_id: item.externalId } : {}),
    ...(item.email !== undefined && item.type !== 'email.supplied' ? { email: item.email } : {}),
  };
}
