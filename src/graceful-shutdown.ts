import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { READ_STORE } from './infrastructure/read-store/read-store.module';
import type { ReadStore } from './infrastructure/read-store/read-store';
import { PROJECTION_RUNNER, type ProjectionRunner } from './projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from './shared/event-store/event-store.port';

/**
 * The last phase of a shutdown, in one place because the order matters. Nest runs it after the
 * HTTP server has stopped accepting connections and drained the requests in flight (which may
 * still be waiting for the projections), so: stop the projections after their batch in flight,
 * then close the read store, then the event store.
 */
@Injectable()
export class GracefulShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.readStore.close();
    await this.eventStore.close();
  }
}
