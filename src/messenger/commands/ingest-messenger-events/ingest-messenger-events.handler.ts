import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { IngestionResult } from '../../ingestion-result';
import { MessengerIngestion } from '../../messenger-ingestion.service';
import { IngestMessengerEventsCommand } from './ingest-messenger-events.command';

@CommandHandler(IngestMessengerEventsCommand)
export class IngestMessengerEventsHandler implements ICommandHandler<
  IngestMessengerEventsCommand,
  IngestionResult[]
> {
  constructor(private readonly ingestion: MessengerIngestion) {}

  execute({ workspaceId, items }: IngestMessengerEventsCommand): Promise<IngestionResult[]> {
    return this.ingestion.ingest(workspaceId, items);
  }
}
