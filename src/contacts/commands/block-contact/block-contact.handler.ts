import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import type { ContactWriteResult } from '../contact-write-result';
import { BlockContactCommand } from './block-contact.command';

@CommandHandler(BlockContactCommand)
export class BlockContactHandler implements ICommandHandler<
  BlockContactCommand,
  ContactWriteResult
> {
  constructor(private readonly writer: ContactStreamWriter) {}

  async execute({
    workspaceId,
    contactId,
    cause,
  }: BlockContactCommand): Promise<ContactWriteResult> {
    // Visitors are not contacts of this API: they answer 404 as on every other contacts route.
    await this.writer.loadLeadOrUser(workspaceId, contactId);
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      {
        type: 'BlockContact',
        data: { contactId, workspaceId },
        now: this.writer.nowSeconds(),
      },
      { cause },
    );
    return { contactId, position: outcome.position };
  }
}
