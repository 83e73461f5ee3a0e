import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomInt } from 'node:crypto';
import { ContactStreamWriter } from '../../../contacts/contact-stream-writer';
import type { UnixSeconds } from '../../../contacts/domain/contact.attributes';
import { ContactNotFound, refusalNamedBy } from '../../../contacts/domain/contact.errors';
import type { ContactEvent } from '../../../contacts/domain/contact.events';
import { isLive } from '../../../contacts/domain/contact.state';
import { ContactLocator } from '../../../identity-resolution/contact-locator';
import { rerunIfMergedMeanwhile } from '../../../identity-resolution/merged-meanwhile';
import { CLOCK, type Clock } from '../../../shared/clock';
import { CreateConversationCommand, type ConversationCreated } from './create-conversation.command';

const SENDERS_BY_TYPE: Readonly<
  Record<CreateConversationCommand['senderType'], readonly string[]>
> = { user: ['user'], lead: ['lead', 'visitor'], contact: ['user', 'lead', 'visitor'] };

/**
 * Conversation content is out of scope: the contact records `ConversationStarted` (a visitor
 * becomes a lead), and the ids answered are generated, numeric strings as Intercom's are. The
 * sender id may be a contact id (merge links followed) or a visitor's user_id.
 */
@CommandHandler(CreateConversationCommand)
export class CreateConversationHandler implements ICommandHandler<
  CreateConversationCommand,
  ConversationCreated
> {
  constructor(
    private readonly locator: ContactLocator,
    private readonly writer: ContactStreamWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  execute(command: CreateConversationCommand): Promise<ConversationCreated> {
    return rerunIfMergedMeanwhile(() => this.start(command));
  }

  private async start({
    workspaceId,
    senderId,
    createdAt,
    senderType,
    cause,
  }: CreateConversationCommand): Promise<ConversationCreated> {
    let sender = await this.locator.locate(workspaceId, senderId);
    if (sender.state.status === 'none') {
      sender = await this.locator.locateSession(workspaceId, senderId);
    }
    // No user by a lead's id, and no lead by a user's: as Intercom finds its senders. The id of a
    // lead merged since names that lead (only leads and visitors are merged), which its user
    // now speaks for.
    const namedRole = sender.path.length > 1 ? 'lead' : sender.state.status;
    if (!isLive(sender.state) || !SENDERS_BY_TYPE[senderType].includes(namedRole))
      throw new ContactNotFound(senderId, 'from.id');
    const conversationId = this.numericId();
    const now = this.writer.nowSeconds();
    // Its event time is its created_at, as a messenger item's is its occurred_at: one a little
    // ahead of the clock happened now, as the decider dates it (one further ahead it refuses).
    const outcome = await this.writer
      .execute(
        workspaceId,
        sender.contactId,
        {
          type: 'StartConversation',
          data: {
            contactId: sender.contactId,
            workspaceId,
            ...(createdAt !== undefined ? { occurredAt: createdAt } : {}),
            conversationId,
          },
          now,
        },
        { occurredAt: Math.min(createdAt ?? now, now) * 1000, cause },
      )
      .catch((error: unknown) => {
        throw refusalNamedBy(error, sender.contactId, 'from.id');
      });
    return {
      contactId: sender.contactId,
      conversationId,
      messageId: this.numericId(),
      createdAt: startedAtOf(outcome.events),
      position: outcome.position,
    };
  }

  private numericId(): string {
    return `${Math.floor(this.clock.now() / 1000)}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
  }
}

/**
 * When the conversation was recorded as started: a `created_at` a little ahead of the clock is the
 * sender's clock running fast, and the decider dates it now.
 */
function startedAtOf(events: readonly ContactEvent[]): UnixSeconds {
  const started = events.find((event) => event.type === 'ConversationStarted');
  if (started === undefined) throw new Error('StartConversation recorded no ConversationStarted');
  return started.data.startedAt;
}
