import { Command } from '@nestjs/cqrs';
import type { UnixSeconds } from '../../../contacts/domain/contact.attributes';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/** `count` occurrences of the event `name` between `first` and `last`, without the events. */
export interface EventSummary {
  readonly name: string;
  readonly count: number;
  readonly first: UnixSeconds;
  readonly last: UnixSeconds;
}

/** `POST /events/summaries`: a summary of a user's data events, the user named by external_id. */
export class ReportEventSummaryCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly userId: string,
    readonly summary: EventSummary,
    readonly cause: EventCause,
  ) {
    super();
  }
}
