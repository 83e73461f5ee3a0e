import { Command } from '@nestjs/cqrs';
import type { ContactWriteResult } from '../../../contacts/commands/contact-write-result';
import type { VisitorReference } from '../../visitor-reference';
import type { EventCause } from '../../../shared/event-store/event-store.port';

/**
 * `POST /visitors/convert`: the visitor becomes a lead or a user, or is merged into the user
 * `target` names (by id, or by the external_id / email that user holds).
 */
export class ConvertVisitorCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly role: 'lead' | 'user',
    readonly visitor: VisitorReference,
    readonly target: {
      readonly id?: string;
      readonly external_id?: string;
      readonly email?: string;
    },
    readonly cause: EventCause,
  ) {
    super();
  }
}
