import { Inject, Injectable } from '@nestjs/common';
import { reopenedAfterRefusedMerge } from '../contacts/commands/merge-contacts/complete-merge';
import { toContactEvent } from '../contacts/contact-event-codec';
import { contactDecider } from '../contacts/domain/contact.decider';
import type { ContactState } from '../contacts/domain/contact.state';
import { CLOCK, type Clock } from '../shared/clock';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { streamStateCacheOf } from '../shared/event-sourcing/stream-state-cache';
import { contactStreamId } from '../shared/stream-names';
import type { LocatedContact } from './located-contact';
import { visitorContactId } from './visitor-contact-id';

/** Merge chains are one link long in practice; the bound only guards against a corrupt cycle. */
const MAX_MERGE_LINKS = 8;

/**
 * Reads contacts from their streams (the write side, consistent with the last commit), following
 * merge links, and optionally looks for one event id on the way: idempotent callers derive the id
 * of their first event from their idempotency key and ask whether it was written already.
 */
@Injectable()
export class ContactLocator {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * A walk that ends on a user deleted before absorbing the contact closed for it meets a refused
   * merge before its reopening: it settles the merge (`reopenedAfterRefusedMerge`) and walks
   * again, as it would just after. Not for a caller in the stream queue of `contactId`
   * (`inQueueOfContact`): the reopening would wait for that queue; it gets the deleted user.
   */
  async locate(
    workspaceId: string,
    contactId: string,
    options: LookFor & { readonly inQueueOfContact?: boolean } = {},
  ): Promise<LocatedContact> {
    const eventIds = lookedFor(options);
    const located = await this.followLinks(workspaceId, contactId, eventIds);
    const closed = located.path.at(-2);
    if (
      options.inQueueOfContact ||
      closed === undefined ||
      !(await reopenedAfterRefusedMerge(this.store, this.clock, workspaceId, closed, located.state))
    )
      return located;
    return this.followLinks(workspaceId, contactId, eventIds);
  }

  private async followLinks(
    workspaceId: string,
    contactId: string,
    eventIds: readonly string[],
  ): Promise<LocatedContact> {
    const path: string[] = [];
    const foundEventIds = new Set<string>();
    let current = contactId;
    for (;;) {
      path.push(current);
      const { state, revision, streamEventIds } = await this.load(workspaceId, current);
      for (const eventId of eventIds) if (streamEventIds.has(eventId)) foundEventIds.add(eventId);
      if (state.status !== 'merged' || path.length >= MAX_MERGE_LINKS || path.includes(state.into))
        return {
          workspaceId,
          contactId: current,
          state,
          revision,
          path,
          containsEvent: foundEventIds.size > 0,
          foundEventIds,
        };
      current = state.into;
    }
  }

  /**
   * The contact a messenger visitor id leads to: its visitor, or whoever it became or was merged
   * into; once that contact is deleted, the visitor the id starts next (not registered yet when
   * `state.status` is `none`).
   */
  async locateSession(
    workspaceId: string,
    visitorUserId: string,
    options: LookFor = {},
  ): Promise<LocatedContact> {
    for (let generation = 0; ; generation += 1) {
      const located = await this.locate(
        workspaceId,
        visitorContactId(workspaceId, visitorUserId, generation),
        options,
      );
      if (located.state.status !== 'deleted') return located;
    }
  }

  private async load(
    workspaceId: string,
    contactId: string,
  ): Promise<{
    state: ContactState;
    revision: bigint | undefined;
    streamEventIds: ReadonlySet<string>;
  }> {
    const streamId = contactStreamId(workspaceId, contactId);
    // A cached fold is as good as a read for every append made from it (it carries the cached
    // revision as its expectation, see StreamStateCache), and its event ids answer `containsEvent`.
    const cache = streamStateCacheOf(this.store);
    const cached = cache.get<ContactState>(streamId, contactDecider);
    if (cached !== undefined)
      return { state: cached.state, revision: cached.revision, streamEventIds: cached.eventIds };
    let state = contactDecider.initialState();
    let revision: bigint | undefined;
    const eventIds = new Set<string>();
    for await (const recorded of this.store.readStream(streamId)) {
      state = contactDecider.evolve(state, toContactEvent(recorded));
      revision = recorded.revision;
      eventIds.add(recorded.id);
    }
    if (revision !== undefined) cache.set(streamId, contactDecider, { state, revision, eventIds });
    return { state, revision, streamEventIds: eventIds };
  }
}

/** The ids of events a caller looks for on the streams it locates (see `LocatedContact`). */
interface LookFor {
  readonly eventId?: string;
  /** Several at once (the items of a batch addressing one contact). */
  readonly eventIds?: readonly string[];
}

const lookedFor = ({ eventId, eventIds = [] }: LookFor): readonly string[] =>
  eventId === undefined ? eventIds : [eventId, ...eventIds];
