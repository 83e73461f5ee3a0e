import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import { MergeContactsCommand } from '../../../contacts/commands/merge-contacts/merge-contacts.command';
import { UpdateContactCommand } from '../../../contacts/commands/update-contact/update-contact.command';
import { ContactStreamWriter } from '../../../contacts/contact-stream-writer';
import { ContactNotFound, InvalidMerge } from '../../../contacts/domain/contact.errors';
import { ContactLocator } from '../../../identity-resolution/contact-locator';
import { IdentityResolution } from '../../../identity-resolution/identity-resolution.service';
import type { LocatedContact } from '../../../identity-resolution/located-contact';
import { rerunIfMergedMeanwhile } from '../../../identity-resolution/merged-meanwhile';
import { VisitorReferences, visitorRefusalNamedBy } from '../../visitor-reference';
import { ConvertVisitorCommand } from './convert-visitor.command';

/**
 * Intercom's convert: into an existing user the visitor is merged (merge workflow); otherwise it
 * becomes a user with the identifiers given (identity resolution claims them, and merges instead
 * when a user turns out to hold them), or a lead.
 */
@CommandHandler(ConvertVisitorCommand)
export class ConvertVisitorHandler implements ICommandHandler<
  ConvertVisitorCommand,
  ContactWriteResult
> {
  constructor(
    private readonly references: VisitorReferences,
    private readonly locator: ContactLocator,
    private readonly identity: IdentityResolution,
    private readonly writer: ContactStreamWriter,
    private readonly commands: CommandBus,
  ) {}

  execute(command: ConvertVisitorCommand): Promise<ContactWriteResult> {
    return rerunIfMergedMeanwhile(() => this.convertNamed(command));
  }

  private async convertNamed(command: ConvertVisitorCommand): Promise<ContactWriteResult> {
    const { workspaceId, visitor } = command;
    const session = await this.references.locateOrThrow(workspaceId, visitor, 'visitor.');
    return this.convert(command, session).catch((error: unknown) => {
      throw visitorRefusalNamedBy(error, session.contactId, visitor, 'visitor.');
    });
  }

  private async convert(
    { workspaceId, role, target, cause }: ConvertVisitorCommand,
    session: LocatedContact,
  ): Promise<ContactWriteResult> {
    if (target.id !== undefined) {
      const into = await this.locator.locate(workspaceId, target.id);
      if (into.state.status === 'none' || into.state.status === 'deleted')
        throw new ContactNotFound(target.id, 'user.id');
      if (into.state.status !== 'user')
        throw new InvalidMerge(
          `Contact ${target.id} is a ${into.state.status}; only a user can absorb a visitor`,
          'target',
          'user.id',
        );
      return this.commands.execute(
        new MergeContactsCommand(workspaceId, session.contactId, into.contactId, {
          fromVisitorOnly: true,
          cause,
        }),
      );
    }
    const identity = {
      ...(target.external_id !== undefined ? { external_id: target.external_id } : {}),
      ...(target.email !== undefined ? { email: target.email } : {}),
    };
    const now = this.writer.nowSeconds();
    if (role === 'user') {
      const outcome = await this.identity.identify({
        workspaceId,
        session,
        identity,
        kind: 'sign_up',
        visitorOnly: true,
        occurredAt: now,
        now,
        metadata: { workspaceId, occurredAt: now * 1000, schemaVersion: 1, ...cause },
      });
      return { contactId: outcome.contactId, position: outcome.position };
    }
    // Through the update workflow: an external_id given to the lead is claimed there.
    return this.commands.execute(
      new UpdateContactCommand(workspaceId, session.contactId, 'lead', identity, cause, 'visitors'),
    );
  }
}
