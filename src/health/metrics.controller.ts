import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
  type ProjectionStatus,
} from '../projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { PublicRoute } from '../workspaces/workspace-auth.guard';

const PROJECTION_STATES = ['catching_up', 'live', 'rebuilding', 'failed', 'standby', 'stopped'];

/**
 * `GET /metrics` (api.md) in Prometheus' text format: the process (CPU, memory, event loop lag,
 * garbage collection), the log's head, and per projection its checkpoint, lag and state. The
 * projections' status is read once per scrape, and every gauge is set from that one reading.
 * Public, as health is: it names projections, never workspaces or contacts.
 */
@ApiTags('Operations')
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  private readonly registry = new Registry();
  private readonly head: Gauge;
  private readonly reachable: Gauge;
  private readonly statusAvailable: Gauge;
  private readonly projections: ReadonlyArray<{
    readonly gauge: Gauge;
    readonly value: (status: ProjectionStatus) => number;
  }>;
  private readonly states: Gauge;

  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name, help, labelNames, registers: [this.registry] });
    this.head = gauge('event_log_head_position', 'Position of the last event in the log');
    this.reachable = gauge(
      'event_log_reachable',
      'Whether the event store answered this scrape (1) or not (0: the head keeps its last value)',
    );
    this.statusAvailable = gauge(
      'projections_status_available',
      "Whether the projections' status could be read this scrape (1) or not (0: it needs the read store and the event store; no projection is listed)",
    );
    this.projections = [
      {
        gauge: gauge('projection_checkpoint_position', 'Last log position applied', ['projection']),
        value: (status) => Number(status.checkpoint),
      },
      {
        gauge: gauge(
          'projection_lag_events',
          'Events from the checkpoint to the head while an event of the projection waits (estimated from log bytes on EventStoreDB); 0 when none does (events of other types do not move a checkpoint)',
          ['projection'],
        ),
        value: (status) => Number(status.lagEvents),
      },
      {
        gauge: gauge('projection_lag_seconds', 'Age of the oldest event not yet applied', [
          'projection',
        ]),
        value: (status) => status.lagSeconds,
      },
    ];
    this.states = gauge('projection_state', 'The state a projection is in (1) or not (0)', [
      'projection',
      'state',
    ]);
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics: process, log head, projections' })
  @ApiProduces('text/plain; version=0.0.4')
  @ApiOkResponse({
    description: "Prometheus' text exposition format",
    content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
  })
  async metrics(): Promise<string> {
    // An unreachable store is what an operator scrapes for: the process figures still answer,
    // and each store is told apart (the read store down leaves the log's head answering).
    const [head, statuses] = await Promise.all([
      this.eventStore.headPosition().catch(() => undefined),
      this.runner.status().catch(() => undefined),
    ]);
    this.reachable.set(head === undefined ? 0 : 1);
    this.statusAvailable.set(statuses === undefined ? 0 : 1);
    if (head !== undefined) this.head.set(Number(head));
    for (const { gauge, value } of this.projections) {
      gauge.reset();
      for (const status of statuses ?? []) gauge.set({ projection: status.name }, value(status));
    }
    this.states.reset();
    for (const status of statuses ?? []) {
      for (const state of PROJECTION_STATES)
        this.states.set({ projection: status.name, state }, status.state === state ? 1 : 0);
    }
    return this.registry.metrics();
  }
}
