import { Command } from '@nestjs/cqrs';
import type { UnixSeconds } from '../../../contacts/domain/contact.attributes';
import type { EventCause } from '../../../shared/event-store/event-store.port';

export interface ConversationCreated {
  readonly contactId: string;
  readonly conversationId: string;
  readonly messageId: string;
  readonly createdAt: UnixSeconds;
  readonly position: bigint | undefined;
}

/** A contact messaged in (`POST /conversations`): recorded as a fact on the contact. */
export class CreateConversationCommand extends Command<ConversationCreated> {
  constructor(
    readonly workspaceId: string,
    readonly senderId: string,
    readonly createdAt: UnixSeconds | undefined,
    /** What the request says the sender is: a user, a lead (a visitor counts), or any contact. */
    readonly senderType: 'user' | 'lead' | 'contact',
    readonly cause: EventCause,
  ) {
    super();
  }
}
