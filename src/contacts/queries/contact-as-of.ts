import { Inject, Injectable } from '@nestjs/common';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { liveRow } from '../../../projections/contacts/contacts.projection';
import { loadState } from '../../shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { contactStreamId } from '../../shared/stream-names';
import { toContactEvent } from '../contact-event-codec';
import { contactDecider } from '../domain/contact.decider';
import { ContactMerged, ContactNotFound } from '../domain/contact.errors';

/**
 * A contact as it was at an instant (history.md, as-of): its stream's events whose event time is
 * at or before the end of that second, folded in the stream's order. It answers as the Contacts
 * API does now: a lead or user, a merged id as merged (into the contact it went to then), and
 * nothing for a contact that did not exist yet or was a visitor by then, nor for one deleted since
 * (or a lead merged into a user deleted since).
 */
@Injectable()
export class ContactAsOf {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async rowOrThrow(workspaceId: string, contactId: string, at: number): Promise<ContactsTable> {
    const { then, revision, now } = await this.fold(workspaceId, contactId, (at + 1) * 1000);
    // A deleted contact's personal data is readable from no API (domain.md), its past included;
    // a lead's lives on in the user it was merged into, and goes when that user is deleted.
    const mergedInto = now.status === 'merged' ? now.into : undefined;
    if (
      now.status === 'deleted' ||
      (mergedInto !== undefined &&
        (await loadState(this.store, contactStreamId(workspaceId, mergedInto), contactDecider))
          .state.status === 'deleted')
    ) {
      throw new ContactNotFound(contactId);
    }
    if (then.status === 'merged') throw new ContactMerged(contactId, then.into);
    if (then.status !== 'lead' && then.status !== 'user') throw new ContactNotFound(contactId);
    return liveRow(then, revision);
  }

  /** The contact's state from its events before `until` (ms of event time), and now. */
  private async fold(workspaceId: string, contactId: string, until: number) {
    let then = contactDecider.initialState();
    let now = then;
    let revision = -1;
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, contactId))) {
      const event = toContactEvent(recorded);
      now = contactDecider.evolve(now, event);
      if (recorded.metadata.occurredAt >= until) continue;
      then = contactDecider.evolve(then, event);
      revision = Number(recorded.revision);
    }
    return { then, revision, now };
  }
}
