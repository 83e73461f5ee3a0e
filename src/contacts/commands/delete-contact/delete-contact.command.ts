import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

export class DeleteContactCommand extends Command<
  ContactWriteResult & { readonly externalId: string | null }
> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
    readonly cause: EventCause,
  ) {
    super();
  }
}
