import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule } from './config/config.module';
import { Environment } from './config/environment';
import { ContactsModule } from './contacts/contacts.module';
import { AttributeValuesModule } from './data-attributes/attribute-values.module';
import { DataAttributesModule } from './data-attributes/data-attributes.module';
import { GracefulShutdown } from './graceful-shutdown';
import { HealthModule } from './health/health.module';
import { MessengerModule } from './messenger/messenger.module';
import { VisitorsModule } from './visitors/visitors.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DataEventsModule } from './data-events/data-events.module';
import { EventStoreModule } from './infrastructure/event-store/event-store.module';
import { ReadStoreModule } from './infrastructure/read-store/read-store.module';
import { SegmentsModule } from './segments/segments.module';
import { ProjectionRunnerModule } from './projection-runner/projection-runner.module';
import { IntercomExceptionFilter } from './shared/http/intercom-exception.filter';
import { WorkspacesModule } from './workspaces/workspaces.module';

@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({
      inject: [Environment],
      useFactory: (environment: Environment) => ({
        pinoHttp: {
          level: environment.LOG_LEVEL,
          // Per-request lines at debug: at info they would dominate the log under load.
          customLogLevel: (_request, response, error) =>
            error || response.statusCode >= 500
              ? 'error'
              : response.statusCode >= 400
                ? 'info'
                : 'debug',
          redact: ['req.headers.authorization'],
          quietReqLogger: true,
        },
      }),
    }),
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
  ],
  providers: [{ provide: APP_FILTER, useClass: IntercomExceptionFilter }, GracefulShutdown],
})
export class AppModule {}
