import { Module } from '@nestjs/common';
import { IdentityResolutionModule } from '../identity-resolution/identity-resolution.module';
import { CreateConversationHandler } from './commands/create-conversation/create-conversation.handler';
import { ConversationsController } from './conversations.controller';

/** `POST /conversations`: the fact that a contact messaged in, not a message store. */
@Module({
  imports: [IdentityResolutionModule],
  controllers: [ConversationsController],
  providers: [CreateConversationHandler],
})
export class ConversationsModule {}
