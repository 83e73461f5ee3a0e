import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import { ContactStreamWriter } from '../../../contacts/contact-stream-writer';
import { ContactNotFound } from '../../../contacts/domain/contact.errors';
import { isLive } from '../../../contacts/domain/contact.state';
import { IdentityResolution } from '../../../identity-resolution/identity-resolution.service';
import { rerunIfMergedMeanwhile } from '../../../identity-resolution/merged-meanwhile';
import { ReportEventSummaryCommand } from './report-event-summary.command';

/** A repeated report (same name, count, first and last) is the contact decider's to ignore. */
@CommandHandler(ReportEventSummaryCommand)
export class ReportEventSummaryHandler implements ICommandHandler<
  ReportEventSummaryCommand,
  ContactWriteResult
> {
  constructor(
    private readonly identity: IdentityResolution,
    private readonly writer: ContactStreamWriter,
  ) {}

  execute(command: ReportEventSummaryCommand): Promise<ContactWriteResult> {
    return rerunIfMergedMeanwhile(() => this.report(command));
  }

  private async report({
    workspaceId,
    userId,
    summary,
    cause,
  }: ReportEventSummaryCommand): Promise<ContactWriteResult> {
    const user = await this.identity.findHolder(workspaceId, { external_id: userId });
    if (!user || !isLive(user.state)) throw new ContactNotFound(userId, 'user_id');
    const { contactId } = user;
    // Timed at the last occurrence it reports, as a data event is at its created_at.
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      {
        type: 'ReportEventSummary',
        data: { contactId, workspaceId, ...summary },
        now: this.writer.nowSeconds(),
      },
      { occurredAt: summary.last * 1000, cause },
    );
    return { contactId, position: outcome.position };
  }
}
