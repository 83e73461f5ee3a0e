import 'reflect-metadata';
import type { Environment } from '../config/environment';
import { StartFailure } from '../shared/start-failure';
import type { ProjectionRunner } from './projection-runner';
import { ProjectionRunnerLifecycle } from './projection-runner.module';

const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
  code: '57P01',
});

const lifecycleFailingWith = (error: Error, environment: Partial<Environment>) =>
  new ProjectionRunnerLifecycle(
    { start: () => Promise.reject(error) } as unknown as ProjectionRunner,
    environment as Environment,
  );

describe('ProjectionRunnerLifecycle', () => {
  it('stops the start naming DATABASE_URL, without its password, when its connections kept breaking', async () => {
    const start = lifecycleFailingWith(terminated, {
      DATABASE_URL: 'postgres://app:secret-password@db.internal:5432/contacts',
    }).onApplicationBootstrap();
    await expect(start).rejects.toThrow(StartFailure);
    await expect(start).rejects.toThrow(
      'DATABASE_URL: the connection to PostgreSQL at db.internal:5432/contacts kept breaking ' +
        'while the projections started (terminating connection due to administrator command)',
    );
    await expect(start).rejects.not.toThrow(/secret-password/);
  });

  it('leaves any other failure as the fault it is', async () => {
    const fault = new Error('a bug');
    await expect(
      lifecycleFailingWith(fault, { DATABASE_URL: 'postgres://h/db' }).onApplicationBootstrap(),
    ).rejects.toBe(fault);
    await expect(lifecycleFailingWith(terminated, {}).onApplicationBootstrap()).rejects.toBe(
      terminated,
    );
  });
});
