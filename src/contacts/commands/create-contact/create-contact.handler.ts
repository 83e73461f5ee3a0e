import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { newContactId } from '../../contact-id';
import { ContactStreamWriter } from '../../contact-stream-writer';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../../custom-attributes-policy';
import { isLive } from '../../domain/contact.state';
import { IdentityReservations, identityClaimsOf } from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { CreateContactCommand } from './create-contact.command';

/**
 * Validate custom attributes, decide, claim the identity, then append: a refused create claims
 * nothing, and a failed append releases the claims.
 */
@CommandHandler(CreateContactCommand)
export class CreateContactHandler implements ICommandHandler<
  CreateContactCommand,
  ContactWriteResult
> {
  constructor(
    private readonly writer: ContactStreamWriter,
    private readonly reservations: IdentityReservations,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly customAttributes: CustomAttributesPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({
    workspaceId,
    role,
    attributes,
    cause,
  }: CreateContactCommand): Promise<ContactWriteResult> {
    if (attributes.custom_attributes)
      await this.customAttributes.validate(workspaceId, attributes.custom_attributes);
    const contactId = newContactId(this.clock.now());
    const claims = identityClaimsOf({ role: role ?? 'user', ...attributes });
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      {
        type: 'CreateContact',
        data: { contactId, workspaceId, ...(role ? { role } : {}), attributes },
        now: this.writer.nowSeconds(),
      },
      {
        cause,
        newStream: true,
        prepare: () =>
          this.reservations.claimForAppend(workspaceId, contactId, claims, 'create_failed'),
      },
    );
    return {
      contactId,
      position: outcome.position,
      ...(isLive(outcome.state) ? { contact: outcome.state } : {}),
    };
  }
}
