import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { PROJECTION_RUNNER, type ProjectionRunner } from '../projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { PublicRoute } from '../workspaces/workspace-auth.guard';

const PROJECTION_STATES = ['catching_up', 'live', 'rebuilding', 'failed', 'standby', 'stopped'];

/**
 * `GET /metrics` (api.md) in Prometheus' text format: the process (CPU, memory, event loop lag,
 * garbage collection), the log's head, and per projection its checkpoint, lag and state, read at
 * each scrape. Public, as health is: it names projections, never workspaces or contacts.
 */
@ApiTags('Operations')
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  private readonly registry = new Registry();

  constructor(
    @Inject(PROJECTION_RUNNER) runner: ProjectionRunner,
    @Inject(EVENT_STORE) eventStore: EventStore,
  ) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'event_log_head_position',
      help: 'Position of the last event in the log',
      registers: [this.registry],
      async collect() {
        this.set(Number(await eventStore.headPosition()));
      },
    });
    const projectionGauge = (name: string, help: string, value: (status: Status) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const status of await runner.status())
            this.set({ projection: status.name }, value(status));
        },
      });
    projectionGauge('projection_checkpoint_position', 'Last log position applied', (status) =>
      Number(status.checkpoint),
    );
    projectionGauge('projection_lag_events', 'Log positions not yet applied', (status) =>
      Number(status.lagPositions),
    );
    projectionGauge(
      'projection_lag_seconds',
      'Age of the oldest event not yet applied',
      (status) => status.lagSeconds,
    );
    new Gauge({
      name: 'projection_state',
      help: 'The state a projection is in (1) or not (0)',
      labelNames: ['projection', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const status of await runner.status()) {
          for (const state of PROJECTION_STATES)
            this.set({ projection: status.name, state }, status.state === state ? 1 : 0);
        }
      },
    });
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics: process, log head, projections' })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

type Status = Awaited<ReturnType<ProjectionRunner['status']>>[number];
