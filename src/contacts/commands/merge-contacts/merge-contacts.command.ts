import { Command } from '@nestjs/cqrs';
import type { EventCause } from '../../../shared/event-store/event-store.port';
import type { ContactWriteResult } from '../contact-write-result';

/**
 * Merge the lead (or visitor) `from` into the user `into`; with `duplicatesOnly`, only when they
 * share an email or a phone.
 */
export class MergeContactsCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly from: string,
    readonly into: string,
    readonly duplicatesOnly = false,
    /** When the merge happened (unix seconds): a messenger item's event time; default now. */
    readonly mergedAt?: number,
    /** What caused it, when not the API request at hand (a messenger log-in). */
    readonly cause?: EventCause,
  ) {
    super();
  }
}
