import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AnalyticsModule } from './analytics/analytics.module';
import { ConfigModule } from './config/config.module';
import { ContactsModule } from './contacts/contacts.module';
import { AttributeValuesModule } from './data-attributes/attribute-values.module';
import { DataAttributesModule } from './data-attributes/data-attributes.module';
import { GracefulShutdown } from './graceful-shutdown';
import { HealthModule } from './health/health.module';
import { HistoryModule } from './history/history.module';
import { MessengerModule } from './messenger/messenger.module';
import { VisitorsModule } from './visitors/visitors.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DataEventsModule } from './data-events/data-events.module';
import { EventStoreModule } from './infrastructure/event-store/event-store.module';
import { ReadStoreModule } from './infrastructure/read-store/read-store.module';
import { SegmentsModule } from './segments/segments.module';
import { ProjectionRunnerModule } from './projection-runner/projection-runner.module';
import { IntercomExceptionFilter } from './shared/http/intercom-exception.filter';
import { WritePositionHeader } from './shared/http/write-position';
import { WorkspacesModule } from './workspaces/workspaces.module';

@Module({
  imports: [
    ConfigModule,
    CqrsModule.forRoot(),
    EventStoreModule,
    ReadStoreModule,
    ProjectionRunnerModule,
    WorkspacesModule,
    HealthModule,
    DataAttributesModule,
    AttributeValuesModule,
    ContactsModule,
    SegmentsModule,
    MessengerModule,
    VisitorsModule,
    ConversationsModule,
    DataEventsModule,
    AnalyticsModule,
    HistoryModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: IntercomExceptionFilter },
    GracefulShutdown,
    WritePositionHeader,
  ],
})
export class AppModule {}
