import { Module } from '@nestjs/common';
import { IdentityResolutionModule } from '../identity-resolution/identity-resolution.module';
import { ReportEventSummaryHandler } from './commands/report-event-summary/report-event-summary.handler';
import { TrackDataEventHandler } from './commands/track-data-event/track-data-event.handler';
import { DataEventsController } from './data-events.controller';
import { DataEventReadModel } from './queries/data-event-read-model';

/** Intercom's Data Events API: submit, list, summary, and reported summaries. */
@Module({
  imports: [IdentityResolutionModule],
  controllers: [DataEventsController],
  providers: [TrackDataEventHandler, ReportEventSummaryHandler, DataEventReadModel],
})
export class DataEventsModule {}
