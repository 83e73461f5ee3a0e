import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import { CONTACT_READ_MODELS } from '../../projections/read-models';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ContactErrorsFilter } from '../contacts/http/contact-errors.filter';
import { ReadYourWrites } from '../projection-runner/projection-runner.module';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { WriteRoute } from '../shared/http/route-config';
import { CreateConversationCommand } from './commands/create-conversation/create-conversation.command';
import { CreateConversationDto } from './conversation.dto';
import { DocumentedResponse } from '../shared/http/documented-route-schema';
import { RequestCause } from '../shared/http/request-context';
import type { EventCause } from '../shared/event-store/event-store.port';

/** Intercom's `user_message`, as `create` answers it. */
const USER_MESSAGE_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['user_message'] },
    id: { type: 'string' },
    created_at: { type: 'integer' },
    body: { type: 'string' },
    message_type: { type: 'string', enum: ['inapp'] },
    conversation_id: { type: 'string' },
  },
};

@ApiTags('Conversations')
@ApiBearerAuth()
@UseFilters(ContactErrorsFilter)
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /** Answers Intercom's `user_message`; the message itself is not stored. */
  @Post()
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'A contact starts a conversation (a visitor sender becomes a lead)' })
  @DocumentedResponse(USER_MESSAGE_SCHEMA)
  async create(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: CreateConversationDto,
  ) {
    const created = await this.commands.execute(
      new CreateConversationCommand(
        workspaceId,
        body.from.id,
        body.created_at,
        body.from.type,
        cause,
      ),
    );
    // The sender may have become a lead: a read right after this answer sees it as one.
    await this.readYourWrites.waitFor(created.position, CONTACT_READ_MODELS);
    return {
      type: 'user_message' as const,
      id: created.messageId,
      created_at: created.createdAt,
      body: body.body,
      message_type: 'inapp' as const,
      conversation_id: created.conversationId,
    };
  }
}
