import { CONTACTS_PROJECTION } from './contacts/contacts.projection';
import { DATA_EVENTS_PROJECTION } from './data-events/data-events.projection';
import { SEGMENT_MEMBERSHIP_PROJECTION } from './segment-membership/segment-membership.projection';

/**
 * The read models a contact's state shows in: its row (list, search, attribute values) and its
 * segments. A contact write answers once both reflect it (read-your-writes).
 */
export const CONTACT_READ_MODELS = [CONTACTS_PROJECTION, SEGMENT_MEMBERSHIP_PROJECTION] as const;

/** A data event's too: the events list and summaries, and the `has_done` segments. */
export const DATA_EVENT_READ_MODELS = [...CONTACT_READ_MODELS, DATA_EVENTS_PROJECTION] as const;
