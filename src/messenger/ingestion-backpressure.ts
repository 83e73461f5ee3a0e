import { DATA_EVENT_READ_MODELS } from '../../projections/read-models';
import { Inject, Injectable } from '@nestjs/common';
import { Environment, ingestionMaxLagMs } from '../config/environment';
import { PROJECTION_RUNNER, type ProjectionRunner } from '../projection-runner/projection-runner';
import { CLOCK, type Clock } from '../shared/clock';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';

/** The read models that show what ingestion writes (contacts, visitors, data events). */
export const INGESTION_READ_MODELS = DATA_EVENT_READ_MODELS;

/** A verdict is reused this long: checking costs reads, and lag does not change by much faster. */
const CHECK_INTERVAL_MS = 250;
const RETRY_AFTER_SECONDS = 1;

/**
 * Backpressure for ingestion: new batches are refused with 429 and `Retry-After` while the read
 * models ingestion feeds would take longer than `INGESTION_MAX_LAG_MS` to apply what waits for
 * them, at the pace they have applied events lately, and in any case while they are more than
 * `INGESTION_MAX_LAG_EVENTS` positions behind the head of the log. A count alone let PostgreSQL's
 * read models fall seconds behind, past what an API write waits for them
 * (`READ_YOUR_WRITES_TIMEOUT_MS`). A batch already admitted is never cut short.
 */
@Injectable()
export class IngestionBackpressure {
  private verdict: { readonly at: number; readonly behind: boolean } | undefined;

  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  async admit(): Promise<void> {
    // The log is not the one the read models follow: refused whole (503), as writes are.
    const logBehind = this.runner.logBehind();
    if (logBehind) throw logBehind;
    const now = this.clock.now();
    if (this.verdict === undefined || now - this.verdict.at >= CHECK_INTERVAL_MS) {
      this.verdict = { at: now, behind: await this.projectionsBehind() };
    }
    if (!this.verdict.behind) return;
    const limit = String(this.environment.INGESTION_MAX_LAG_EVENTS);
    throw new HttpProblem(
      429,
      [
        {
          code: 'rate_limit_exceeded',
          message: 'The read models are catching up with earlier events; retry after the delay',
        },
      ],
      {
        'Retry-After': String(RETRY_AFTER_SECONDS),
        'X-RateLimit-Limit': limit,
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(now / 1000) + RETRY_AFTER_SECONDS),
      },
    );
  }

  private async projectionsBehind(): Promise<boolean> {
    const head = await this.store.headPosition();
    return (await this.beyondEventBound(head)) || (await this.beyondTimeBound(head));
  }

  /** Whether the read models have not yet applied everything up to `head - max lag`. */
  private async beyondEventBound(head: bigint): Promise<boolean> {
    const bound = this.store.positionEventsBefore(head, this.environment.INGESTION_MAX_LAG_EVENTS);
    if (bound <= 0n) return false;
    return !(await this.runner.waitFor(bound, 0, INGESTION_READ_MODELS));
  }

  /**
   * Whether a read model would take longer than the bound to apply what waits for it. One with
   * nothing waiting is never behind, however slow it was; one failed, or without a recent pace
   * to go by, is held to the event-count bound alone: refusing on a pace nothing measures could
   * refuse for good.
   */
  private async beyondTimeBound(head: bigint): Promise<boolean> {
    const boundMs = ingestionMaxLagMs(this.environment);
    const readModels = await this.runner.catchUp(INGESTION_READ_MODELS, head);
    if (readModels.some((readModel) => readModel.failed)) return false;
    return readModels.some(
      ({ lagEvents, eventsPerSecond }) =>
        lagEvents > 0n &&
        eventsPerSecond !== undefined &&
        (Number(lagEvents) / eventsPerSecond) * 1000 > boundMs,
    );
  }
}
