import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/** Block a lead or user (Intercom's `POST /contacts/{id}/block`); blocking again changes nothing. */
export class BlockContactCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
    readonly cause: EventCause,
  ) {
    super();
  }
}
