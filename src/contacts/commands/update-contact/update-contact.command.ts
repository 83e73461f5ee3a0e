import { Command } from '@nestjs/cqrs';
import type { AttributeChanges } from '../../domain/contact.attributes';
import type { ContactWriteResult } from '../contact-write-result';

export class UpdateContactCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
    readonly role: 'lead' | 'user' | undefined,
    readonly attributes: AttributeChanges,
    /** Through the Contacts API: refuse visitors, unknown and merged ids (see `requireLeadOrUser`). */
    readonly leadsAndUsersOnly = false,
  ) {
    super();
  }
}
