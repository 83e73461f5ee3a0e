import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../contact-write-result';

export class DeleteContactCommand extends Command<
  ContactWriteResult & { readonly externalId: string | null }
> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
  ) {
    super();
  }
}
