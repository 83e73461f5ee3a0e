import { Command } from '@nestjs/cqrs';
import type { EventCause } from '../../../shared/event-store/event-store.port';
import type { ContactWriteResult } from '../contact-write-result';

export interface MergeOptions {
  /** Only when they share an email or a phone. */
  readonly duplicatesOnly?: boolean;
  /** When the merge happened (unix seconds): a messenger item's event time; default now. */
  readonly mergedAt?: number;
  /** What caused it: the API request (`RequestCause`), or a messenger log-in. */
  readonly cause: EventCause;
  /**
   * A visitor's conversion (the Visitors API): `from` must still be a visitor when it is closed;
   * one that became a lead or was merged since is refused not found (see `MergeInto`).
   */
  readonly fromVisitorOnly?: boolean;
  /**
   * The log-in that causes the merge gives the user an external_id of its own: `from`'s stays
   * with it instead of filling the user's (see `MergeInto`).
   */
  readonly keepExternalId?: boolean;
}

/** Merge the lead (or visitor) `from` into the user `into`. */
export class MergeContactsCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly from: string,
    readonly into: string,
    readonly options: MergeOptions,
  ) {
    super();
  }
}
