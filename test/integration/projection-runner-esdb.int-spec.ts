import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '../../src/infrastructure/event-store/esdb/esdb-event-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import type { EventStore, NewEvent } from '../../src/shared/event-store/event-store.port';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { openTestReadStore, type TestReadStore } from '../support/read-store-targets';
import { streamCounterProjection } from '../support/stream-counter.projection';

function events(count: number, type: string): NewEvent[] {
  return Array.from({ length: count }, () => ({
    id: randomUUID(),
    type,
    data: {},
    metadata: { workspaceId: 'w1', occurredAt: Date.now() },
  }));
}

async function append(store: EventStore, count: number, type: string): Promise<bigint> {
  const result = await store.append(`thing-${randomUUID()}`, events(count, type), {
    expectedRevision: 'any',
  });
  return result.position;
}

const TAIL = 2000;

describe('ProjectionRunner on EventStoreDB (gRPC stand-in)', () => {
  let standIn: EsdbStandIn;
  let esdb: EsdbEventStore;
  let readStore: TestReadStore;
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    standIn = await startEsdbStandIn();
    esdb = await EsdbEventStore.connect(standIn.connectionString, {
      retryBackoff: { initialMs: 20, maxMs: 200 },
    });
    readStore = await openTestReadStore('sqlite');
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await readStore.dispose();
    await esdb.close();
    await standIn.close();
  });

  /** A live runner whose checkpoint has `TAIL` events it does not handle after it. */
  async function liveRunnerBehindATail(): Promise<ProjectionRunner> {
    await append(esdb, 1, 'ThingHappened');
    const runner = new ProjectionRunner(esdb, readStore.store, [streamCounterProjection()]);
    runners.push(runner);
    await runner.start();
    expect(await runner.waitFor(await esdb.headPosition(), 5000)).toBe(true);
    // A live projection's checkpoint moves with the events it applies: none of these.
    for (let appended = 0; appended < TAIL; appended += 500)
      await append(standIn.store, 500, 'NotCounted');
    return runner;
  }

  it('answers status and read-your-writes checks without rereading the events it does not handle since its checkpoint', async () => {
    const runner = await liveRunnerBehindATail();
    const [before] = await runner.status();
    expect(before).toMatchObject({ lagPositions: 0n, lagEvents: 0n });

    const readPerRound: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const position = await append(esdb, 1, 'NotCounted');
      const sentBefore = standIn.allReadEventsSent();
      const [status] = await runner.status();
      expect(status).toMatchObject({ lagPositions: 0n, lagEvents: 0n, lagSeconds: 0 });
      expect(await runner.waitFor(position, 5000)).toBe(true);
      expect((await runner.catchUp(['stream_counter'], position))[0]?.lagEvents).toBe(0n);
      readPerRound.push(standIn.allReadEventsSent() - sentBefore);
    }
    // Each round reads the new event and the head, not the tail behind the checkpoint again.
    expect(readPerRound.filter((read) => read >= TAIL / 4)).toEqual([]);
  });

  it('reads the log once for checks made at the same time', async () => {
    const runner = await liveRunnerBehindATail();
    const head = await esdb.headPosition();
    const sentBefore = standIn.allReadEventsSent();
    const checks = await Promise.all([
      ...Array.from({ length: 8 }, () => runner.waitFor(head, 5000)),
      runner.status(),
    ]);
    expect(checks.slice(0, 8)).toEqual(Array.from({ length: 8 }, () => true));
    expect(standIn.allReadEventsSent() - sentBefore).toBeLessThan(2 * TAIL);
  });
});
