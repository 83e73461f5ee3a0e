import { HttpProblem } from '../shared/http/intercom-error';
import { ProjectionAdminController, projectionJson } from './projection-admin.controller';
import { ProjectionBusy } from './projection-runner';
import { liveContactsStatus } from './projection-status.test-fixtures';
import type {
  ProjectionRunner,
  ProjectionStatus,
  ProjectionVerification,
} from './projection-runner';

describe('the operations route’s projection status', () => {
  const poison = {
    eventId: 'e-1',
    eventType: 'ContactMergedInto',
    position: 2n ** 70n,
    error: 'Merge target c-1 is deleted',
    attempts: 5,
    at: new Date(0),
  };
  const status = liveContactsStatus({
    name: 'merge_completion',
    version: 1,
    build: 'b1',
    state: 'rebuilding',
    checkpoint: 7n,
    lagPositions: 2n,
    lagEvents: 2n,
    rebuild: {
      version: 1,
      build: 'b2',
      state: 'failed',
      checkpoint: 3n,
      lagEvents: 6n,
      failure: poison,
    },
  });

  it('shows why a rebuild failed, as it shows a live build’s failure', () => {
    const json = projectionJson(status);
    const failure = { event_id: 'e-1', position: String(2n ** 70n), error: poison.error };
    expect(json.rebuild).toEqual({
      version: 1,
      state: 'failed',
      checkpoint: '3',
      lag_events: '6',
      failure,
    });
    expect(json.failure).toBeNull();
    expect(projectionJson({ ...status, failure: poison, rebuild: undefined })).toMatchObject({
      failure,
      rebuild: null,
    });
  });

  it('counts the events in the log and those the rebuild has yet to pass, for a progress bar', () => {
    expect(projectionJson(status)).toMatchObject({
      head_position: '9',
      head_events: '9',
      rebuild: { checkpoint: '3', lag_events: '6' },
    });
  });
});

describe('POST /admin/projections/{name}/retry and /rebuild', () => {
  const statusOf = (state: ProjectionStatus['state']): ProjectionStatus =>
    liveContactsStatus({
      version: 4,
      build: 'v4_a',
      state,
      checkpoint: 1n,
      headPosition: 2n,
      headEvents: 2n,
      lagPositions: 1n,
      lagEvents: 1n,
    });
  const controllerOver = (state: ProjectionStatus['state']) => {
    const retried: string[] = [];
    const runner = {
      status: () => Promise.resolve([statusOf(state)]),
      retry: (name: string) => {
        retried.push(name);
        return Promise.resolve();
      },
      requestRebuild: (name: string) => {
        retried.push(`rebuild ${name}`);
        return Promise.resolve({ switched: Promise.resolve() });
      },
    } as unknown as ProjectionRunner;
    return { controller: new ProjectionAdminController(runner), retried };
  };

  it('restarts a failed projection from its checkpoint once its cause is fixed (a full disk freed)', async () => {
    const { controller, retried } = controllerOver('failed');
    await expect(controller.retry('contacts', {})).resolves.toMatchObject({ state: 'restarted' });
    expect(retried).toEqual(['contacts']);
  });

  it('refuses a rebuild on an instance that stands by (409): the instance running it builds it', async () => {
    const standby = controllerOver('standby');
    await expect(standby.controller.rebuild('contacts', {})).rejects.toMatchObject({
      status: 409,
    });
    expect(standby.retried).toEqual([]);
    const live = controllerOver('live');
    await expect(live.controller.rebuild('contacts', {})).resolves.toMatchObject({
      state: 'started',
    });
    expect(live.retried).toEqual(['rebuild contacts']);
  });

  it('answers 503 naming why when the rebuild cannot start, rather than 202 for a rebuild that is not under way', async () => {
    const runner = {
      status: () => Promise.resolve([statusOf('live')]),
      requestRebuild: () => Promise.reject(new Error('no room for new tables')),
    } as unknown as ProjectionRunner;
    await expect(
      new ProjectionAdminController(runner).rebuild('contacts', {}),
    ).rejects.toMatchObject({
      status: 503,
      errors: [
        {
          code: 'service_unavailable',
          message: 'The rebuild of contacts could not start: no room for new tables',
        },
      ],
      headers: { 'Retry-After': '5' },
    });
  });

  it('refuses a projection that has not failed (409) and an unknown one (404), restarting nothing', async () => {
    const { controller, retried } = controllerOver('live');
    await expect(controller.retry('contacts', {})).rejects.toMatchObject({ status: 409 });
    await expect(controller.retry('nope', {})).rejects.toBeInstanceOf(HttpProblem);
    expect(retried).toEqual([]);
  });
});

describe('POST /admin/projections/{name}/verify', () => {
  const live = liveContactsStatus();
  const verification: ProjectionVerification = {
    name: 'contacts',
    version: 6,
    build: 'v6',
    state: 'different',
    target: 9n,
    targetEvents: 9n,
    checkpoint: 9n,
    lagEvents: 0n,
    comparedAt: 2n ** 70n,
    comparison: {
      identical: false,
      difference: {
        table: 'contacts',
        key: { workspace_id: 'acme', id: 'c-1' },
        column: undefined,
        live: { id: 'c-1', revision: 2n ** 60n, created_at: 17n },
        rebuilt: undefined,
      },
    },
    error: undefined,
  };
  const controllerOver = (
    state: ProjectionStatus['state'],
    verify: () => Promise<ProjectionVerification>,
  ) =>
    new ProjectionAdminController({
      status: () => Promise.resolve([{ ...live, state }]),
      verify,
      requestRebuild: () => Promise.reject(new ProjectionBusy('A verify of contacts is under way')),
    } as unknown as ProjectionRunner);

  it('answers the verify as it starts, a row only one build has as that row, integers beyond 2^53 as text', async () => {
    const answer = await controllerOver('live', () => Promise.resolve(verification)).verify(
      'contacts',
      {},
    );
    expect(answer).toMatchObject({
      type: 'projection.verification',
      state: 'different',
      compared_at: String(2n ** 70n),
      rows: null,
      difference: {
        table: 'contacts',
        key: { workspace_id: 'acme', id: 'c-1' },
        column: null,
        live: { id: 'c-1', revision: String(2n ** 60n), created_at: 17 },
        rebuilt: null,
      },
    });
  });

  it('refuses (409) on an instance standing by, and while a rebuild or another verify is under way', async () => {
    let asked = 0;
    const verify = () => {
      asked += 1;
      return Promise.resolve(verification);
    };
    await expect(controllerOver('standby', verify).verify('contacts', {})).rejects.toMatchObject({
      status: 409,
    });
    expect(asked).toBe(0);
    const busy = controllerOver('live', () =>
      Promise.reject(new ProjectionBusy('Projection contacts is rebuilding')),
    );
    await expect(busy.verify('contacts', {})).rejects.toMatchObject({
      status: 409,
      errors: [{ code: 'conflict', message: 'Projection contacts is rebuilding' }],
    });
    // And a rebuild asked during a verify.
    await expect(busy.rebuild('contacts', {})).rejects.toMatchObject({ status: 409 });
  });
});
