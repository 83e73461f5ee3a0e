import { Module } from '@nestjs/common';
import { sql } from 'kysely';
import { READ_STORE } from '../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../infrastructure/read-store/read-store';
import { PROJECTION_RUNNER, type ProjectionRunner } from '../projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { PublicReason, READINESS_CHECKS, type ReadinessCheck } from './readiness-check';

function readinessChecks(
  eventStore: EventStore,
  readStore: ReadStore,
  runner: ProjectionRunner,
): ReadinessCheck[] {
  return [
    { name: 'event_store', check: async () => void (await eventStore.headPosition()) },
    {
      name: 'read_store',
      check: async () => void (await sql`select 1`.execute(readStore.queryDb)),
    },
    {
      name: 'projections',
      check: async () => {
        const failed = (await runner.status()).filter(
          (status) => status.state === 'failed' || status.error,
        );
        if (failed.length > 0) {
          throw new PublicReason(
            `${failed.map((status) => status.name).join(', ')} failed (details: GET /admin/projections)`,
          );
        }
      },
    },
  ];
}

@Module({
  controllers: [HealthController, MetricsController],
  providers: [
    {
      provide: READINESS_CHECKS,
      useFactory: readinessChecks,
      inject: [EVENT_STORE, READ_STORE, PROJECTION_RUNNER],
    },
  ],
})
export class HealthModule {}
