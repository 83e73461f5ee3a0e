import { Inject, Injectable } from '@nestjs/common';
import { toContactEvent } from '../contacts/contact-event-codec';
import { contactDecider } from '../contacts/domain/contact.decider';
import type { ContactState } from '../contacts/domain/contact.state';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { contactStreamId } from '../shared/stream-names';
import type { LocatedContact } from './located-contact';

/** Merge chains are one link long in practice; the bound only guards against a corrupt cycle. */
const MAX_MERGE_LINKS = 8;

/**
 * Reads contacts from their streams (the write side, consistent with the last commit), following
 * merge links, and optionally looks for one event id on the way: idempotent callers derive the id
 * of their first event from their idempotency key and ask whether it was written already.
 */
@Injectable()
export class ContactLocator {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async locate(
    workspaceId: string,
    contactId: string,
    options: { readonly eventId?: string } = {},
  ): Promise<LocatedContact> {
    const path: string[] = [];
    let containsEvent = false;
    let current = contactId;
    for (;;) {
      path.push(current);
      const loaded = await this.load(workspaceId, current, options.eventId);
      containsEvent ||= loaded.containsEvent;
      const { state } = loaded;
      if (state.status !== 'merged' || path.length >= MAX_MERGE_LINKS || path.includes(state.into))
        return { workspaceId, contactId: current, ...loaded, path, containsEvent };
      current = state.into;
    }
  }

  private async load(
    workspaceId: string,
    contactId: string,
    eventId: string | undefined,
  ): Promise<{ state: ContactState; revision: bigint | undefined; containsEvent: boolean }> {
    let state = contactDecider.initialState();
    let revision: bigint | undefined;
    let containsEvent = false;
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, contactId))) {
      state = contactDecider.evolve(state, toContactEvent(recorded));
      revision = recorded.revision;
      if (recorded.id === eventId) containsEvent = true;
    }
    return { state, revision, containsEvent };
  }
}
