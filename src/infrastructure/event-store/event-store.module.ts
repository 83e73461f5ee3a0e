import { Global, Logger, Module } from '@nestjs/common';
import { Environment } from '../../config/environment';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { openInDataDir } from '../data-dir';
import { ContinuityGuardedEventStore } from './continuity-guarded-event-store';
import { describeEsdbServers } from './esdb/esdb-servers';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/**
 * Embedded SQLite by default; EventStoreDB when `EVENTSTORE_CONNECTION_STRING` is set. Writers
 * get it guarded (`ContinuityGuardedEventStore`); the projection runner reads its `log`.
 */
async function openEventStore(environment: Environment): Promise<EventStore> {
  const logger = new Logger('EventStore');
  if (environment.EVENTSTORE_CONNECTION_STRING) {
    logger.log(
      `Using EventStoreDB at ${describeEsdbServers(environment.EVENTSTORE_CONNECTION_STRING)}`,
    );
    return EsdbEventStore.connect(environment.EVENTSTORE_CONNECTION_STRING);
  }
  logger.log(`Using the embedded event store in ${environment.DATA_DIR}`);
  return openInDataDir(
    environment.DATA_DIR,
    'the embedded event store',
    () =>
      SqliteEventStore.open({
        dataDir: environment.DATA_DIR,
        synchronous: environment.SQLITE_SYNCHRONOUS,
      }),
    'the file is damaged: restore events.sqlite from a backup (it holds the only copy of the events)',
  );
}

@Global()
@Module({
  providers: [
    {
      provide: ContinuityGuardedEventStore,
      useFactory: async (environment: Environment) =>
        new ContinuityGuardedEventStore(await openEventStore(environment)),
      inject: [Environment],
    },
    { provide: EVENT_STORE, useExisting: ContinuityGuardedEventStore },
  ],
  exports: [EVENT_STORE, ContinuityGuardedEventStore],
})
export class EventStoreModule {}
