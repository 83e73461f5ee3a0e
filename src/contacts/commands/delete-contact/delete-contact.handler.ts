import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { IdentityReservations, identityClaimsOf } from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { isLive } from '../../domain/contact.state';
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
    cause,
  }: DeleteContactCommand): Promise<ContactWriteResult & { externalId: string | null }> {
    // The decider refuses what is not a live contact (visitors included: the Visitors API has no
    // delete, and a visitor's data must be erasable as a lead's is).
    let externalId: string | null = null;
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      { type: 'DeleteContact', data: { contactId, workspaceId }, now: this.writer.nowSeconds() },
      {
        cause,
        // What the contact holds when it is deleted (a decided delete is of a live contact).
        prepare: (decidedOn) => {
          if (!isLive(decidedOn)) return Promise.resolve(undefined);
          externalId = decidedOn.external_id;
          const held = identityClaimsOf({ ...decidedOn, role: decidedOn.status });
          return Promise.resolve({
            done: () => this.reservations.releaseAll(workspaceId, contactId, held, 'deleted'),
          });
        },
      },
    );
    return { contactId, position: outcome.position, externalId };
  }
}
