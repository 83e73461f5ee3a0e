import { Inject, Injectable } from '@nestjs/common';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { liveRow } from '../../../projections/contacts/contacts.projection';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { contactStreamId } from '../../shared/stream-names';
import { toContactEvent } from '../contact-event-codec';
import { contactDecider } from '../domain/contact.decider';
import { ContactMerged, ContactNotFound } from '../domain/contact.errors';

/**
 * A contact as it was at an instant (history.md, as-of): its stream's events whose event time is
 * at or before the end of that second, folded in the stream's order. It answers as the Contacts
 * API does now: a lead or user, a merged id as merged (into the contact it went to then), and
 * nothing for a contact that did not exist yet, was a visitor, or was deleted by then. An erased
 * contact's events are gone, and so is its past.
 */
@Injectable()
export class ContactAsOf {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async rowOrThrow(workspaceId: string, contactId: string, at: number): Promise<ContactsTable> {
    const until = (at + 1) * 1000;
    let state = contactDecider.initialState();
    let revision = -1;
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, contactId))) {
      if (recorded.metadata.occurredAt >= until) continue;
      state = contactDecider.evolve(state, toContactEvent(recorded));
      revision = Number(recorded.revision);
    }
    if (state.status === 'merged') throw new ContactMerged(contactId, state.into);
    if (state.status !== 'lead' && state.status !== 'user') throw new ContactNotFound(contactId);
    return liveRow(state, revision);
  }
}
