import { Command } from '@nestjs/cqrs';
import type { AttributeChanges } from '../../domain/contact.attributes';
import type { ContactWriteResult } from '../contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

export class CreateContactCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly role: 'lead' | 'user' | undefined,
    readonly attributes: AttributeChanges,
    readonly cause: EventCause,
  ) {
    super();
  }
}
