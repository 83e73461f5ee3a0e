import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { IdentityReservations, identityClaimsOf } from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { requireLeadOrUser } from '../lead-or-user';
import { DeleteContactCommand } from './delete-contact.command';

/** Deletes a lead or user, then frees its external_id and email for others. */
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
    const state = requireLeadOrUser(await this.writer.load(workspaceId, contactId), contactId);
    const outcome = await this.writer.execute(workspaceId, contactId, {
      type: 'DeleteContact',
      data: { contactId, workspaceId },
      now: this.writer.nowSeconds(),
    });
    await this.reservations.releaseAll(
      workspaceId,
      contactId,
      identityClaimsOf({ ...state, role: state.status }),
      'deleted',
    );
    return { contactId, position: outcome.position, externalId: state.external_id };
  }
}
