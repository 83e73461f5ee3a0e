import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import { ContactStreamWriter } from '../../../contacts/contact-stream-writer';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../../../contacts/custom-attributes-policy';
import { rerunIfMergedMeanwhile } from '../../../identity-resolution/merged-meanwhile';
import { VisitorReferences, visitorRefusalNamedBy } from '../../visitor-reference';
import { UpdateVisitorCommand } from './update-visitor.command';

@CommandHandler(UpdateVisitorCommand)
export class UpdateVisitorHandler implements ICommandHandler<
  UpdateVisitorCommand,
  ContactWriteResult
> {
  constructor(
    private readonly references: VisitorReferences,
    private readonly writer: ContactStreamWriter,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly customAttributes: CustomAttributesPolicy,
  ) {}

  execute(command: UpdateVisitorCommand): Promise<ContactWriteResult> {
    return rerunIfMergedMeanwhile(() => this.update(command));
  }

  private async update({
    workspaceId,
    visitor,
    changes,
    cause,
  }: UpdateVisitorCommand): Promise<ContactWriteResult> {
    const { contactId } = await this.references.locateOrThrow(workspaceId, visitor);
    if (changes.custom_attributes)
      await this.customAttributes.validate(workspaceId, changes.custom_attributes);
    const outcome = await this.writer
      .execute(
        workspaceId,
        contactId,
        {
          type: 'UpdateContact',
          data: { contactId, workspaceId, attributes: changes, visitorsOnly: true },
          now: this.writer.nowSeconds(),
        },
        { cause },
      )
      .catch((error: unknown) => {
        throw visitorRefusalNamedBy(error, contactId, visitor);
      });
    return { contactId, position: outcome.position };
  }
}
