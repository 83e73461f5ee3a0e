import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { isLive } from '../../domain/contact.state';
import { IdentityReservations, identityClaimsOf } from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { DeleteContactCommand } from './delete-contact.command';

/** Deletes the contact, then frees its external_id and email for others. */
@CommandHandler(DeleteContactCommand)
export class DeleteContactHandler implements ICommandHandler<DeleteContactCommand> {
  constructor(
    private readonly writer: ContactStreamWriter,
    private readonly reservations: IdentityReservations,
  ) {}

  async execute({
    workspaceId,
    contactId,
  }: DeleteContactCommand): Promise<ContactWriteResult & { externalId: string | null }> {
    const state = await this.writer.load(workspaceId, contactId);
    const outcome = await this.writer.execute(workspaceId, contactId, {
      type: 'DeleteContact',
      data: { contactId, workspaceId },
      now: this.writer.nowSeconds(),
    });
    const externalId = isLive(state) ? state.external_id : null;
    if (isLive(state)) {
      await this.reservations.releaseAll(
        workspaceId,
        contactId,
        identityClaimsOf({ ...state, role: state.status }),
        'deleted',
      );
    }
    return { contactId, position: outcome.position, externalId };
  }
}
