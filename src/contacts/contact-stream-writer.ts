import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../shared/clock';
import {
  handleCommand,
  loadState,
  type CommandOutcome,
  type PreparedAppend,
} from '../shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { contactStreamId } from '../shared/stream-names';
import type { UnixSeconds } from './domain/contact.attributes';
import type { ContactCommand } from './domain/contact.commands';
import { contactDecider } from './domain/contact.decider';
import type { ContactEvent } from './domain/contact.events';
import type { ContactState } from './domain/contact.state';

/** Runs contact commands through the decider against the contact's stream. */
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

  execute(
    workspaceId: string,
    contactId: string,
    command: ContactCommand,
    options: {
      readonly eventId?: (event: ContactEvent, index: number) => string;
      readonly actor?: string;
      /** A freshly generated contact id: decide without reading its (empty) stream. */
      readonly newStream?: boolean;
      /** See `HandleCommandOptions.prepare`: identity claims of the state decided on. */
      readonly prepare?: (decidedOn: ContactState) => Promise<PreparedAppend | undefined>;
    } = {},
  ): Promise<CommandOutcome<ContactEvent, ContactState>> {
    return handleCommand(
      this.store,
      contactStreamId(workspaceId, contactId),
      contactDecider,
      command,
      {
        metadata: {
          workspaceId,
          occurredAt: this.clock.now(),
          schemaVersion: 1,
          ...(options.actor ? { actor: options.actor } : {}),
        },
        ...(options.eventId ? { eventId: options.eventId } : {}),
        newStream: options.newStream ?? false,
        ...(options.prepare ? { prepare: options.prepare } : {}),
      },
    );
  }
}
