import type { ProjectionRunner, ProjectionStatus } from '../projection-runner/projection-runner';
import type { EventStore } from '../shared/event-store/event-store.port';
import { liveContactsStatus } from '../projection-runner/projection-status.test-fixtures';
import { MetricsController } from './metrics.controller';

const live = liveContactsStatus();

const scrape = (head: () => Promise<bigint>, status: () => Promise<ProjectionStatus[]>) =>
  new MetricsController(
    { status } as unknown as ProjectionRunner,
    { headPosition: head } as unknown as EventStore,
  ).metrics();

describe('GET /metrics', () => {
  it('lists the log head and every projection while both stores answer', async () => {
    const text = await scrape(
      () => Promise.resolve(42n),
      () => Promise.resolve([live]),
    );
    expect(text).toMatch(/^event_log_reachable 1$/m);
    expect(text).toMatch(/^projections_status_available 1$/m);
    expect(text).toMatch(/^event_log_head_position 42$/m);
    expect(text).toMatch(/^projection_state\{projection="contacts",state="live"\} 1$/m);
  });

  it('blames the projections, not the event log, when only their status cannot be read (the read store down)', async () => {
    const text = await scrape(
      () => Promise.resolve(42n),
      () => Promise.reject(new Error('connect ECONNREFUSED')),
    );
    expect(text).toMatch(/^event_log_reachable 1$/m);
    expect(text).toMatch(/^event_log_head_position 42$/m);
    expect(text).toMatch(/^projections_status_available 0$/m);
    expect(text).not.toContain('projection_state{');
  });

  it('says the event log is unreachable when it is', async () => {
    const text = await scrape(
      () => Promise.reject(new Error('EventStoreDB unavailable')),
      () => Promise.reject(new Error('EventStoreDB unavailable')),
    );
    expect(text).toMatch(/^event_log_reachable 0$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
