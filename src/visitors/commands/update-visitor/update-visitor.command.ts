import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import type { CustomAttributes } from '../../../contacts/domain/contact.attributes';
import type { VisitorReference } from '../../visitor-reference';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/** `PUT /visitors`: a visitor's name and custom attributes. */
export class UpdateVisitorCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly visitor: VisitorReference,
    readonly changes: { readonly name?: string; readonly custom_attributes?: CustomAttributes },
    readonly cause: EventCause,
  ) {
    super();
  }
}
