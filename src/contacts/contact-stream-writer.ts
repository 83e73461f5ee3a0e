import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../shared/clock';
import {
  handleCommand,
  loadState,
  type CommandOutcome,
  type PreparedAppend,
} from '../shared/event-sourcing/handle-command';
import {
  EVENT_STORE,
  type EventCause,
  type EventStore,
} from '../shared/event-store/event-store.port';
import { contactStreamId } from '../shared/stream-names';
import { contactEventMetadata } from './contact-event-metadata';
import type { UnixSeconds } from './domain/contact.attributes';
import type { ContactCommand } from './domain/contact.commands';
import { contactDecider } from './domain/contact.decider';
import type { ContactEvent } from './domain/contact.events';
import { ContactMerged, ContactNotFound } from './domain/contact.errors';
import { isLive, type ContactState, type LiveContact } from './domain/contact.state';
import { requireLeadOrUser } from './commands/lead-or-user';
import { reopenedAfterRefusedMerge } from './commands/merge-contacts/complete-merge';

/** Runs the API's contact commands through the decider against the contact's stream. */
@Injectable()
export class ContactStreamWriter {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  nowSeconds(): UnixSeconds {
    return Math.floor(this.clock.now() / 1000);
  }

  async load(workspaceId: string, contactId: string): Promise<ContactState> {
    return (await loadState(this.store, contactStreamId(workspaceId, contactId), contactDecider))
      .state;
  }

  /** The contact as the Contacts API addresses it: a lead or a user (see `requireLeadOrUser`). */
  loadLeadOrUser(workspaceId: string, contactId: string): Promise<LiveContact> {
    return this.withMergeTargetChecked(workspaceId, async () =>
      requireLeadOrUser(await this.load(workspaceId, contactId), contactId),
    );
  }

  /**
   * A merged contact is refused with a link to its target (410) while that target is live: a
   * lead merged into a user deleted since is gone with it (404), as its read model row is. One
   * whose user was deleted before absorbing it is met before the refused merge reopened it: the
   * merge is settled first, and `work` runs again on the lead open again.
   */
  private async withMergeTargetChecked<T>(
    workspaceId: string,
    work: () => Promise<T>,
    settled = false,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ContactMerged)) throw error;
      const target = await this.load(workspaceId, error.into);
      if (isLive(target)) throw error;
      if (
        !settled &&
        (await reopenedAfterRefusedMerge(
          this.store,
          this.clock,
          workspaceId,
          error.contactId,
          target,
        ))
      )
        return this.withMergeTargetChecked(workspaceId, work, true);
      throw new ContactNotFound(error.contactId);
    }
  }

  execute(
    workspaceId: string,
    contactId: string,
    command: ContactCommand,
    options: {
      readonly eventId?: (event: ContactEvent, index: number) => string;
      /** When it happened, in unix ms, if before now (a late report); never later than now. */
      readonly occurredAt?: number;
      /** What caused it: the API request (`RequestCause`), or a messenger item. */
      readonly cause: EventCause;
      /** A freshly generated contact id: decide without reading its (empty) stream. */
      readonly newStream?: boolean;
      /** See `HandleCommandOptions.prepare`: identity claims of the state decided on. */
      readonly prepare?: (
        decidedOn: ContactState,
        events: readonly ContactEvent[],
      ) => Promise<PreparedAppend | undefined>;
    },
  ): Promise<CommandOutcome<ContactEvent, ContactState>> {
    return this.withMergeTargetChecked(workspaceId, () =>
      handleCommand(this.store, contactStreamId(workspaceId, contactId), contactDecider, command, {
        metadata: {
          workspaceId,
          occurredAt: Math.min(options.occurredAt ?? Infinity, this.clock.now()),
          schemaVersion: 1,
          ...options.cause,
        },
        metadataOf: contactEventMetadata,
        ...(options.eventId ? { eventId: options.eventId } : {}),
        newStream: options.newStream ?? false,
        ...(options.prepare ? { prepare: options.prepare } : {}),
      }),
    );
  }
}
