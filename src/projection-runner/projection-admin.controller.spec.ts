import { projectionJson } from './projection-admin.controller';
import type { ProjectionStatus } from './projection-runner';

describe('the operations route’s projection status', () => {
  const poison = {
    eventId: 'e-1',
    eventType: 'ContactMergedInto',
    position: 2n ** 70n,
    error: 'Merge target c-1 is deleted',
    attempts: 5,
    at: new Date(0),
  };
  const status: ProjectionStatus = {
    name: 'merge_completion',
    version: 1,
    build: 'b1',
    state: 'rebuilding',
    checkpoint: 7n,
    headPosition: 9n,
    lagPositions: 2n,
    lagSeconds: 0,
    failure: undefined,
    error: undefined,
    rebuild: { version: 1, build: 'b2', state: 'failed', checkpoint: 3n, failure: poison },
  };

  it('shows why a rebuild failed, as it shows a live build’s failure', () => {
    const json = projectionJson(status);
    const failure = { event_id: 'e-1', position: String(2n ** 70n), error: poison.error };
    expect(json.rebuild).toEqual({ version: 1, state: 'failed', checkpoint: '3', failure });
    expect(json.failure).toBeNull();
    expect(projectionJson({ ...status, failure: poison, rebuild: undefined })).toMatchObject({
      failure,
      rebuild: null,
    });
  });
});
