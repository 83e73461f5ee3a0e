import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { allProjections } from '../../projections';
import { DeadlineAlarm } from '../../projections/segment-membership/deadline-alarm';
import { CLOCK, type Clock } from '../shared/clock';
import { Environment } from '../config/environment';
import { READ_STORE, withoutCredentials } from '../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../infrastructure/read-store/read-store';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';
import { StartFailure } from '../shared/start-failure';
import { ContinuityGuardedEventStore } from '../infrastructure/event-store/continuity-guarded-event-store';
import { EventLogBehindCheckpoint } from '../shared/event-store/event-store.errors';
import { isConnectionError } from '../shared/storage-errors';
import { ProjectionAdminController } from './projection-admin.controller';
import { ReadStorePrivilegeMissing } from './projection-registry';
import { PROJECTION_RUNNER, ProjectionRunner } from './projection-runner';

function createRunner(
  guarded: ContinuityGuardedEventStore,
  readStore: ReadStore,
  clock: Clock,
  deadlineAlarm: DeadlineAlarm,
  environment: Environment,
): ProjectionRunner {
  const logger = new Logger('Projections');
  const eventStore = guarded.log;
  const projections = allProjections({ eventStore, clock, deadlineAlarm });
  const runner = new ProjectionRunner(eventStore, readStore, projections, {
    now: () => new Date(clock.now()),
    startPastTheLog: environment.ALLOW_REPLACED_EVENT_LOG === 'true',
    logger: {
      info: (message, context) => logger.log(context ? { ...context, msg: message } : message),
      warn: (message, context) => logger.warn(context ? { ...context, msg: message } : message),
      error: (message, context) => logger.error(context ? { ...context, msg: message } : message),
    },
  });
  guarded.consult(runner);
  return runner;
}

/** Starts the runner once the app is up (`GracefulShutdown` stops it). */
@Injectable()
export class ProjectionRunnerLifecycle implements OnApplicationBootstrap {
  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    private readonly environment: Environment,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.runner.start();
    } catch (error) {
      // Only PostgreSQL has roles: the one DATABASE_URL connects as.
      if (error instanceof ReadStorePrivilegeMissing)
        throw new StartFailure(
          `DATABASE_URL: its ${error.message}: grant it, or start once with a role that has it`,
        );
      if (error instanceof EventLogBehindCheckpoint) {
        const store = this.environment.EVENTSTORE_CONNECTION_STRING
          ? 'EVENTSTORE_CONNECTION_STRING'
          : 'DATA_DIR';
        throw new StartFailure(
          `${store}: the event log there ends at position ${error.head}, before the checkpoint ` +
            `(${error.checkpoint}) of read model ${error.projection}: the store was replaced or ` +
            `restored from an older copy since the read models were built. Point ${store} at the ` +
            `store they were built from, or start with ALLOW_REPLACED_EVENT_LOG=true and rebuild ` +
            `them from this log (npm run cli -- rebuild <name>, for each failed in GET /admin/projections)`,
        );
      }
      // The runner retried it: the database keeps dropping the service's connections.
      if (this.environment.DATABASE_URL && isConnectionError(error))
        throw new StartFailure(
          `DATABASE_URL: the connection to PostgreSQL at ${withoutCredentials(this.environment.DATABASE_URL)} ` +
            `kept breaking while the projections started (${error instanceof Error ? error.message : String(error)})`,
        );
      throw error;
    }
  }
}

/**
 * Read-your-writes: a write waits until the projections serving its response have passed the
 * position of its last event, so the response and an immediate GET see the change.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    private readonly environment: Environment,
  ) {}

  /**
   * A read's `X-Min-Position`: as `waitFor`, but a position the log has not reached is refused at
   * once (it would only time out), as the client's mistake it is.
   */
  async waitForMinPosition(
    position: bigint | undefined,
    projections?: readonly string[],
  ): Promise<void> {
    if (position === undefined) return;
    if (await this.runner.waitFor(position, 0, projections)) return;
    const head = await this.eventStore.headPosition();
    if (position > head) {
      throw HttpProblem.of(
        400,
        'parameter_invalid',
        `X-Min-Position ${position} is beyond the end of the log (${head})`,
        'X-Min-Position',
      );
    }
    await this.waitFor(position, projections);
  }

  async waitFor(position: bigint | undefined, projections?: readonly string[]): Promise<void> {
    if (position === undefined) return;
    const reached = await this.runner.waitFor(
      position,
      this.environment.READ_YOUR_WRITES_TIMEOUT_MS,
      projections,
    );
    if (!reached) {
      throw new HttpProblem(
        503,
        [
          {
            code: 'service_unavailable',
            message:
              'The change was stored but the read models have not caught up yet; retry the read',
          },
        ],
        // The change is stored at `position`: a read sending it as X-Min-Position sees it.
        { 'Retry-After': '1', 'X-Position': String(position) },
      );
    }
  }
}

@Global()
@Module({
  controllers: [ProjectionAdminController],
  providers: [
    {
      provide: PROJECTION_RUNNER,
      useFactory: createRunner,
      inject: [ContinuityGuardedEventStore, READ_STORE, CLOCK, DeadlineAlarm, Environment],
    },
    DeadlineAlarm,
    ProjectionRunnerLifecycle,
    ReadYourWrites,
  ],
  exports: [PROJECTION_RUNNER, ReadYourWrites, DeadlineAlarm],
})
export class ProjectionRunnerModule {}
