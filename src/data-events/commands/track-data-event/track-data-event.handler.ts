import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import { ContactStreamWriter } from '../../../contacts/contact-stream-writer';
import { ContactNotFound, refusalNamedBy } from '../../../contacts/domain/contact.errors';
import { isLive } from '../../../contacts/domain/contact.state';
import { ContactReadModel } from '../../../contacts/queries/contact-read-model';
import { ContactLocator } from '../../../identity-resolution/contact-locator';
import { IdentityResolution } from '../../../identity-resolution/identity-resolution.service';
import type { LocatedContact } from '../../../identity-resolution/located-contact';
import { rerunIfMergedMeanwhile } from '../../../identity-resolution/merged-meanwhile';
import { TrackDataEventCommand, type DataEventSubject } from './track-data-event.command';

/** Deduplication (contact + name + created_at) is the contact decider's rule. */
@CommandHandler(TrackDataEventCommand)
export class TrackDataEventHandler implements ICommandHandler<
  TrackDataEventCommand,
  ContactWriteResult
> {
  constructor(
    private readonly locator: ContactLocator,
    private readonly identity: IdentityResolution,
    private readonly contacts: ContactReadModel,
    private readonly writer: ContactStreamWriter,
  ) {}

  execute(command: TrackDataEventCommand): Promise<ContactWriteResult> {
    return rerunIfMergedMeanwhile(() => this.track(command));
  }

  private async track({
    workspaceId,
    subject,
    name,
    createdAt,
    metadata,
    cause,
  }: TrackDataEventCommand): Promise<ContactWriteResult> {
    const contact = await this.subjectOf(workspaceId, subject);
    const field =
      subject.id !== undefined ? 'id' : subject.user_id !== undefined ? 'user_id' : 'email';
    if (!contact || !isLive(contact.state))
      throw new ContactNotFound(subject.id ?? subject.user_id ?? subject.email ?? '', field);
    // Its event time is its created_at, as a messenger item's is its occurred_at.
    const outcome = await this.writer
      .execute(
        workspaceId,
        contact.contactId,
        {
          type: 'TrackEvent',
          data: { contactId: contact.contactId, workspaceId, name, createdAt, metadata },
          now: this.writer.nowSeconds(),
        },
        { occurredAt: createdAt * 1000, cause },
      )
      .catch((error: unknown) => {
        throw refusalNamedBy(error, contact.contactId, field);
      });
    return { contactId: contact.contactId, position: outcome.position };
  }

  /**
   * By id (merge links followed), by the identity a user holds, or a lead by email. An id and an
   * identity given together must name the same contact.
   */
  private async subjectOf(
    workspaceId: string,
    subject: DataEventSubject,
  ): Promise<LocatedContact | undefined> {
    const identity = {
      ...(subject.user_id !== undefined ? { external_id: subject.user_id } : {}),
      ...(subject.email !== undefined ? { email: subject.email } : {}),
    };
    if (subject.id !== undefined) {
      const named = await this.locator.locate(workspaceId, subject.id);
      await this.identity.refuseIdentityOfAnother(
        workspaceId,
        named,
        identity,
        subject.user_id !== undefined ? 'user_id' : 'email',
      );
      return named;
    }
    if (subject.user_id !== undefined) return this.identity.findHolder(workspaceId, identity);
    if (subject.email === undefined) return undefined;
    const user = await this.identity.findHolder(workspaceId, { email: subject.email });
    if (user) return user;
    // Leads' emails are not reserved: the read model finds them.
    const lead = await this.contacts.findByEmail(workspaceId, subject.email);
    return lead ? this.locator.locate(workspaceId, lead.id) : undefined;
  }
}
