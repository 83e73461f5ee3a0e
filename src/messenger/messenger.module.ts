import { Module } from '@nestjs/common';
import { DataAttributesModule } from '../data-attributes/data-attributes.module';
import { IdentityResolutionModule } from '../identity-resolution/identity-resolution.module';
import { IngestMessengerEventsHandler } from './commands/ingest-messenger-events/ingest-messenger-events.handler';
import { IngestionBackpressure } from './ingestion-backpressure';
import { IngestionRecords } from './ingestion-records';
import { MessengerController } from './messenger.controller';
import { MessengerIngestion } from './messenger-ingestion.service';

const commandHandlers = [IngestMessengerEventsHandler];
const services = [MessengerIngestion, IngestionRecords, IngestionBackpressure];

/** `POST /messenger/events`: batch ingestion for upstream services (ingestion.md). */
@Module({
  imports: [IdentityResolutionModule, DataAttributesModule],
  controllers: [MessengerController],
  providers: [...commandHandlers, ...services],
})
export class MessengerModule {}
