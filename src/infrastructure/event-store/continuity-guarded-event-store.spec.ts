import { randomUUID } from 'node:crypto';
import { EventLogBehindCheckpoint } from '../../shared/event-store/event-store.errors';
import type { EventStore, NewEvent } from '../../shared/event-store/event-store.port';
import {
  ContinuityGuardedEventStore,
  type LogContinuityCheck,
} from './continuity-guarded-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

function anEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: 'ThingHappened',
    data: {},
    metadata: { workspaceId: 'w1', occurredAt: 0 },
  };
}

/** A check that finds the log behind once `behind` is set, counting how often it looked. */
function checkOf(): LogContinuityCheck & { behind?: EventLogBehindCheckpoint; checks: number } {
  const check = {
    behind: undefined as EventLogBehindCheckpoint | undefined,
    checks: 0,
    logBehind: () => check.behind,
    checkLogHead: () => {
      check.checks += 1;
      return Promise.resolve(0n);
    },
  };
  return check;
}

describe('ContinuityGuardedEventStore', () => {
  let log: EventStore;
  beforeEach(() => {
    log = SqliteEventStore.open({ file: ':memory:' });
  });
  afterEach(() => log.close());

  it('refuses appends while the log is behind a read model, writing nothing', async () => {
    const guard = new ContinuityGuardedEventStore(log);
    const check = checkOf();
    guard.consult(check);
    check.behind = new EventLogBehindCheckpoint('contacts', 9n, 2n);
    await expect(guard.append('thing-1', [anEvent()], { expectedRevision: 'any' })).rejects.toBe(
      check.behind,
    );
    expect(await log.headPosition()).toBe(0n);
  });

  it('has the log checked when an append answers a position at or below one it answered before', async () => {
    // The store the guard wraps, replaced under it by an empty one (as EventStoreDB behind one
    // connection string).
    let current = log;
    const swappable = new Proxy({} as EventStore, {
      get: (_target, key: keyof EventStore) => {
        const value = current[key];
        return typeof value === 'function' ? (value as () => unknown).bind(current) : value;
      },
    });
    const guard = new ContinuityGuardedEventStore(swappable);
    const check = checkOf();
    guard.consult(check);
    await guard.append('thing-1', [anEvent(), anEvent(), anEvent()], { expectedRevision: 'any' });
    expect(check.checks).toBe(0);

    const replacement = SqliteEventStore.open({ file: ':memory:' });
    current = replacement;
    const behind = new EventLogBehindCheckpoint('contacts', 3n, 1n);
    check.checkLogHead = () => {
      check.checks += 1;
      check.behind = behind;
      return Promise.resolve(1n);
    };
    await expect(
      guard.append('thing-2', [anEvent()], { expectedRevision: 'any' }),
    ).rejects.toMatchObject({ name: 'EventLogBehindCheckpoint', writeStored: true });
    expect(check.checks).toBe(1);
    // Refused from now on, without writing.
    await expect(guard.append('thing-3', [anEvent()], { expectedRevision: 'any' })).rejects.toBe(
      behind,
    );
    expect(await replacement.headPosition()).toBe(1n);
    await replacement.close();
  });

  it('takes an idempotent retry, answered at its first position, once the check finds the log whole', async () => {
    const guard = new ContinuityGuardedEventStore(log);
    const check = checkOf();
    guard.consult(check);
    const events = [anEvent()];
    const first = await guard.append('thing-1', events, { expectedRevision: 'no_stream' });
    await guard.append('thing-2', [anEvent()], { expectedRevision: 'any' });
    const retried = await guard.append('thing-1', events, { expectedRevision: 'no_stream' });
    expect(retried.position).toBe(first.position);
    expect(check.checks).toBe(1);
  });

  it('does not check the log for concurrent appends answered out of order', async () => {
    const guard = new ContinuityGuardedEventStore(log);
    const check = checkOf();
    guard.consult(check);
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        guard.append(`thing-${index}`, [anEvent()], { expectedRevision: 'any' }),
      ),
    );
    await guard.append('thing-after', [anEvent()], { expectedRevision: 'any' });
    expect(check.checks).toBe(0);
  });
});
