import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/** Archive (`archived: true`) or unarchive (`archived: false`) a lead or user. */
export class ArchiveContactCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
    readonly archived: boolean,
    readonly cause: EventCause,
  ) {
    super();
  }
}
