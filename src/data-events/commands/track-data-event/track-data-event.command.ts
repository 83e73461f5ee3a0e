import { Command } from '@nestjs/cqrs';
import type { JsonValue, UnixSeconds } from '../../../contacts/domain/contact.attributes';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/** Who a data event is about, as `POST /events` names it. */
export interface DataEventSubject {
  /** A contact id (lead or user). */
  readonly id?: string;
  /** A user's external_id. */
  readonly user_id?: string;
  readonly email?: string;
}

export class TrackDataEventCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly subject: DataEventSubject,
    readonly name: string,
    readonly createdAt: UnixSeconds,
    readonly metadata: Readonly<Record<string, JsonValue>>,
    readonly cause: EventCause,
  ) {
    super();
  }
}
