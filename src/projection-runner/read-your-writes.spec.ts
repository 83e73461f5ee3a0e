import type { Environment } from '../config/environment';
import type { EventStore } from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';
import type { ProjectionRunner } from './projection-runner';
import { ReadYourWrites } from './projection-runner.module';

/** A runner whose projections stand at `checkpoint`, over a log whose head is `head`. */
const readYourWrites = (checkpoint: bigint, head: bigint) =>
  new ReadYourWrites(
    {
      waitFor: (position: bigint) => Promise.resolve(position <= checkpoint),
    } as unknown as ProjectionRunner,
    { headPosition: () => Promise.resolve(head) } as unknown as EventStore,
    { READ_YOUR_WRITES_TIMEOUT_MS: 1 } as Environment,
  );

const problemOf = async (waiting: Promise<void>): Promise<HttpProblem> => {
  try {
    await waiting;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('ReadYourWrites', () => {
  it('answers a write whose read models are late with 503, Retry-After and its own position', async () => {
    const problem = await problemOf(readYourWrites(5n, 9n).waitFor(7n, ['contacts']));
    expect(problem).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '1', 'X-Position': '7' },
      errors: [{ code: 'service_unavailable' }],
    });
  });

  it('refuses a read asking for a position past the end of the log, naming X-Min-Position', async () => {
    const problem = await problemOf(readYourWrites(5n, 9n).waitForMinPosition(10n));
    expect(problem).toMatchObject({
      status: 400,
      errors: [{ code: 'parameter_invalid', field: 'X-Min-Position' }],
    });
  });

  it('lets through a read whose position the read models have passed', async () => {
    await expect(readYourWrites(5n, 9n).waitForMinPosition(5n)).resolves.toBeUndefined();
  });
});
