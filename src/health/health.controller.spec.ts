import { HttpProblem } from '../shared/http/intercom-error';
import { HealthController } from './health.controller';
import { PublicReason } from './readiness-check';

describe('HealthController.ready', () => {
  it('answers 503 naming each failing check, with only the reasons meant for anyone to read', async () => {
    const controller = new HealthController([
      { name: 'event_store', check: () => Promise.resolve() },
      {
        name: 'read_store',
        check: () =>
          Promise.reject(new Error('connect ECONNREFUSED db.internal:5432 (user acme_admin)')),
      },
      {
        name: 'projections',
        check: () =>
          Promise.reject(new PublicReason('contacts failed (details: GET /admin/projections)')),
      },
    ]);
    const problem = await controller.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(problem).toBeInstanceOf(HttpProblem);
    const { status, errors } = problem as HttpProblem;
    expect(status).toBe(503);
    expect(errors).toEqual([
      { code: 'service_unavailable', message: 'read_store: unavailable', field: 'read_store' },
      {
        code: 'service_unavailable',
        message: 'projections: contacts failed (details: GET /admin/projections)',
        field: 'projections',
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain('db.internal');
  });

  it('answers every check ok when all pass', async () => {
    const controller = new HealthController([
      { name: 'event_store', check: () => Promise.resolve() },
    ]);
    expect(await controller.ready()).toEqual({ status: 'ok', checks: { event_store: 'ok' } });
  });
});
