import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { IdentityReservations, identityClaimsOf } from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { requireDeletable } from '../lead-or-user';
import { DeleteContactCommand } from './delete-contact.command';

/** Deletes a lead, user or visitor, then frees its external_id and email for others. */
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
    requireDeletable(await this.writer.load(workspaceId, contactId), contactId);
    let externalId: string | null = null;
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      { type: 'DeleteContact', data: { contactId, workspaceId }, now: this.writer.nowSeconds() },
      {
        // What the contact holds when it is deleted, not when it was read above.
        prepare: (decidedOn) => {
          const deleted = requireDeletable(decidedOn, contactId);
          externalId = deleted.external_id;
          const held = identityClaimsOf({ ...deleted, role: deleted.status });
          return Promise.resolve({
            done: () => this.reservations.releaseAll(workspaceId, contactId, held, 'deleted'),
          });
        },
      },
    );
    return { contactId, position: outcome.position, externalId };
  }
}
