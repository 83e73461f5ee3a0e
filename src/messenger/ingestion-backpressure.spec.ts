import { loadEnvironment } from '../config/environment';
import type { ProjectionCatchUp, ProjectionRunner } from '../projection-runner/projection-runner';
import { ManualClock } from '../shared/clock';
import type { EventStore } from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';
import { IngestionBackpressure } from './ingestion-backpressure';

const HEAD = 100_000n;

/**
 * Backpressure over a log whose head is `HEAD`, with read models that stand where `catchUp`
 * says; `passedThrough` is the position every ingestion read model has applied (the event-count
 * bound's view of them).
 */
function backpressure(
  catchUp: readonly Partial<ProjectionCatchUp>[],
  settings: Readonly<Record<string, string>> = {},
  passedThrough = HEAD,
) {
  const figures: ProjectionCatchUp[] = catchUp.map((figure, index) => ({
    name: `read-model-${index}`,
    failed: false,
    lagEvents: 0n,
    eventsPerSecond: undefined,
    ...figure,
  }));
  const runner = {
    waitFor: (position: bigint) => Promise.resolve(position <= passedThrough),
    catchUp: () => Promise.resolve(figures),
    logBehind: () => undefined,
  } as unknown as ProjectionRunner;
  const store = {
    headPosition: () => Promise.resolve(HEAD),
    positionEventsBefore: (position: bigint, events: number) =>
      position > BigInt(events) ? position - BigInt(events) : 0n,
  } as unknown as EventStore;
  return new IngestionBackpressure(
    runner,
    store,
    new ManualClock(1_700_000_000_000),
    loadEnvironment({ INGESTION_MAX_LAG_MS: '1000', ...settings }),
  );
}

const refusal = async (admitting: Promise<void>): Promise<HttpProblem | undefined> => {
  try {
    await admitting;
    return undefined;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
};

describe('IngestionBackpressure', () => {
  it('admits a batch while the read models would apply what waits within INGESTION_MAX_LAG_MS', async () => {
    // 3,000 events at 4,000 a second: 0.75 s.
    const admission = backpressure([
      { lagEvents: 3_000n, eventsPerSecond: 4_000 },
      { lagEvents: 500n, eventsPerSecond: 1_000 },
    ]);
    expect(await refusal(admission.admit())).toBeUndefined();
  });

  it('refuses a batch with 429 while a read model would take longer than INGESTION_MAX_LAG_MS, far under the event-count bound', async () => {
    // 3,000 events at 2,000 a second: 1.5 s; 3,000 events is far under the 50,000 bound.
    const admission = backpressure([
      { lagEvents: 100n, eventsPerSecond: 4_000 },
      { lagEvents: 3_000n, eventsPerSecond: 2_000 },
    ]);
    expect(await refusal(admission.admit())).toMatchObject({
      status: 429,
      errors: [{ code: 'rate_limit_exceeded' }],
      headers: { 'Retry-After': '1', 'X-RateLimit-Limit': '50000', 'X-RateLimit-Remaining': '0' },
    });
  });

  it('admits while the read models are caught up, however slowly they applied events before', async () => {
    const admission = backpressure([{ lagEvents: 0n, eventsPerSecond: 1 }, { lagEvents: 0n }]);
    expect(await refusal(admission.admit())).toBeUndefined();
  });

  it('holds a lagging read model with no recent measure of its pace to the event-count bound alone', async () => {
    expect(await refusal(backpressure([{ lagEvents: 3_000n }]).admit())).toBeUndefined();
    expect(
      await refusal(backpressure([{ lagEvents: 60_000n }], {}, HEAD - 60_000n).admit()),
    ).toMatchObject({ status: 429 });
  });

  it('holds a failed read model to the event-count bound alone, as before', async () => {
    const failed = { failed: true, lagEvents: 3_000n, eventsPerSecond: 0 };
    expect(await refusal(backpressure([failed]).admit())).toBeUndefined();
    expect(await refusal(backpressure([failed], {}, HEAD - 60_000n).admit())).toMatchObject({
      status: 429,
    });
  });

  it('refuses beyond INGESTION_MAX_LAG_EVENTS however fast the read models apply events', async () => {
    const admission = backpressure(
      [{ lagEvents: 60_000n, eventsPerSecond: 1_000_000 }],
      {},
      HEAD - 60_000n,
    );
    expect(await refusal(admission.admit())).toMatchObject({ status: 429 });
  });
});
