import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import type { ContactWriteResult } from '../contact-write-result';
import { ArchiveContactCommand } from './archive-contact.command';

@CommandHandler(ArchiveContactCommand)
export class ArchiveContactHandler implements ICommandHandler<
  ArchiveContactCommand,
  ContactWriteResult
> {
  constructor(private readonly writer: ContactStreamWriter) {}

  async execute({
    workspaceId,
    contactId,
    archived,
    cause,
  }: ArchiveContactCommand): Promise<ContactWriteResult> {
    // The read fills the stream state cache, so the command below does not read again.
    await this.writer.loadLeadOrUser(workspaceId, contactId);
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      {
        type: archived ? 'ArchiveContact' : 'UnarchiveContact',
        data: { contactId, workspaceId },
        now: this.writer.nowSeconds(),
      },
      { cause },
    );
    return { contactId, position: outcome.position };
  }
}
