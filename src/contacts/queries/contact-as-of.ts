import { Inject, Injectable } from '@nestjs/common';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { liveRow } from '../../../projections/contacts/contacts.projection';
import { loadState } from '../../shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { contactStreamId } from '../../shared/stream-names';
import { toContactEvent } from '../contact-event-codec';
import { contactDecider } from '../domain/contact.decider';
import { ContactMerged, ContactNotFound } from '../domain/contact.errors';
import type { ContactEvent } from '../domain/contact.events';
import type { ContactState } from '../domain/contact.state';

/**
 * What a contact was at an instant, as the Contacts API shows it: a lead or user (its row then),
 * merged (into the contact it went to then, with the row it was closed as), or nothing to show:
 * not yet a lead or user by then (`none`), or deleted since, it or the user a lead was merged
 * into (`deleted`).
 */
export type ContactThen =
  | { readonly status: 'live'; readonly row: ContactsTable }
  | { readonly status: 'merged'; readonly into: string; readonly closedAs: ContactsTable }
  | { readonly status: 'none' | 'deleted' };

/**
 * A contact as it was at an instant (history.md, as-of): its stream's events whose event time is
 * at or before the end of that second, folded in the stream's order. It answers as the Contacts
 * API does now: a lead or user, a merged id as merged (into the contact it went to then), and
 * nothing for a contact that did not exist yet or was a visitor by then, nor for one deleted since
 * (or a lead merged into a user deleted since).
 *
 * Cost: one read of the contact's stream, whole; and for a contact merged since, one of the
 * stream of the contact it went to (through the stream-state cache commands use); when observed,
 * one of each lead's merged into it by then.
 */
@Injectable()
export class ContactAsOf {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async rowOrThrow(workspaceId: string, contactId: string, at: number): Promise<ContactsTable> {
    const then = await this.contactThen(workspaceId, contactId, at);
    switch (then.status) {
      case 'live':
        return then.row;
      case 'merged':
        throw new ContactMerged(contactId, then.into);
      case 'none':
      case 'deleted':
        throw new ContactNotFound(contactId);
    }
  }

  /**
   * `observe`, when given, is shown every event of the contact's stream and, for a lead or user
   * then, of the streams of the leads merged into it by then, with its event time (unix
   * milliseconds): what it had done by then includes what they had (a segment rule's `has_done`).
   */
  async contactThen(
    workspaceId: string,
    contactId: string,
    at: number,
    observe?: (event: ContactEvent, occurredAt: number) => void,
  ): Promise<ContactThen> {
    const { then, revision, now } = await this.fold(
      workspaceId,
      contactId,
      (at + 1) * 1000,
      observe,
    );
    if (await this.erasedSince(workspaceId, now)) return { status: 'deleted' };
    if (then.status === 'merged')
      return { status: 'merged', into: then.into, closedAs: liveRow(then.closedAs, revision) };
    if (then.status !== 'lead' && then.status !== 'user') return { status: 'none' };
    if (observe)
      for (const merge of then.merge_history) {
        const source = contactStreamId(workspaceId, merge.source_contact_id);
        for await (const recorded of this.store.readStream(source))
          observe(toContactEvent(recorded), recorded.metadata.occurredAt);
      }
    return { status: 'live', row: liveRow(then, revision) };
  }

  /**
   * Whether a contact, as it is `now`, has no past readable any more: a deleted contact's personal
   * data is readable from no API (domain.md), its past included; a lead's lives on in the user it
   * was merged into, and goes when that user is deleted.
   */
  async erasedSince(workspaceId: string, now: ContactState): Promise<boolean> {
    if (now.status === 'deleted') return true;
    if (now.status !== 'merged') return false;
    const into = await loadState(
      this.store,
      contactStreamId(workspaceId, now.into),
      contactDecider,
    );
    return into.state.status === 'deleted';
  }

  /** The contact's state from its events before `until` (ms of event time), and now. */
  private async fold(
    workspaceId: string,
    contactId: string,
    until: number,
    observe: ((event: ContactEvent, occurredAt: number) => void) | undefined,
  ) {
    let then = contactDecider.initialState();
    let now = then;
    let revision = -1;
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, contactId))) {
      const event = toContactEvent(recorded);
      observe?.(event, recorded.metadata.occurredAt);
      now = contactDecider.evolve(now, event);
      if (recorded.metadata.occurredAt >= until) continue;
      then = contactDecider.evolve(then, event);
      revision = Number(recorded.revision);
    }
    return { then, revision, now };
  }
}
