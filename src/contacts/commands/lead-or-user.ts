import { ContactMerged, ContactNotFound } from '../domain/contact.errors';
import type { ContactState, LiveContact } from '../domain/contact.state';

/**
 * The Contacts API addresses leads and users only: a visitor (it has its own API), a deleted or
 * unknown id is not found there, and a merged id is refused with a link to its target.
 */
export function requireLeadOrUser(state: ContactState, contactId: string): LiveContact {
  if (state.status === 'merged') throw new ContactMerged(contactId, state.into);
  if (state.status !== 'lead' && state.status !== 'user') throw new ContactNotFound(contactId);
  return state;
}
