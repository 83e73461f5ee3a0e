import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '../../src/infrastructure/event-store/esdb/esdb-event-store';
import { ContinuityGuardedEventStore } from '../../src/infrastructure/event-store/continuity-guarded-event-store';
import { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { EventLogBehindCheckpoint } from '../../src/shared/event-store/event-store.errors';
import type { EventStore, NewEvent } from '../../src/shared/event-store/event-store.port';
import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { openTestReadStore, type TestReadStore } from '../support/read-store-targets';
import { streamCounterProjection } from '../support/stream-counter.projection';
import { eventually } from '../support/eventually';
import { postgresAvailability, postgresRequired } from '../support/postgres';

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

/** A client of the stand-in that retries quickly, as the tests wait on its reconnections. */
const connectTo = (standIn: EsdbStandIn): Promise<EsdbEventStore> =>
  EsdbEventStore.connect(standIn.connectionString, {
    retryBackoff: { initialMs: 20, maxMs: 200 },
  });

/** The stand-in restarted empty on the same port, with `count` events written to it since. */
async function restartedEmpty(standIn: EsdbStandIn, count: number): Promise<EsdbStandIn> {
  const { port } = standIn;
  await standIn.close();
  const replaced = await startEsdbStandIn({ port });
  await append(replaced.store, count, 'ThingHappened');
  return replaced;
}

/** The log's head as `log` reads it once it answers: its client finds its channel closed once. */
const headOnceAnswering = (log: EsdbEventStore): Promise<bigint> =>
  eventually(() => log.headPosition().catch(() => undefined), 5000, 'the new store to answer');

describe('ProjectionRunner on EventStoreDB (gRPC stand-in)', () => {
  let standIn: EsdbStandIn;
  let esdb: EsdbEventStore;
  let readStore: TestReadStore;
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    standIn = await startEsdbStandIn();
    esdb = await connectTo(standIn);
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

/**
 * EventStoreDB replaced by an empty one under a running service (same connection string): the
 * projection's checkpoint is far past the new log's head, so it would wait for positions that
 * never come, while writes went on being acknowledged.
 */
describe('ProjectionRunner on an EventStoreDB replaced while it runs', () => {
  let standIn: EsdbStandIn;
  let esdb: EsdbEventStore;
  let readStore: TestReadStore;
  let runner: ProjectionRunner;
  const errors: string[] = [];

  beforeEach(async () => {
    standIn = await startEsdbStandIn();
    esdb = await connectTo(standIn);
    readStore = await openTestReadStore('sqlite');
    errors.length = 0;
    runner = new ProjectionRunner(esdb, readStore.store, [streamCounterProjection()], {
      standbyPollMs: 50,
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: (message, context) => errors.push(`${message} ${String(context?.error)}`),
      },
    });
    for (let round = 0; round < 5; round += 1) await append(esdb, 20, 'ThingHappened');
    await runner.start();
    expect(await runner.waitFor(await esdb.headPosition(), 5000)).toBe(true);
  });

  afterEach(async () => {
    await runner.stop();
    await readStore.dispose();
    await esdb.close();
    await standIn.close();
  });

  async function replaceTheStore(count: number): Promise<bigint> {
    standIn = await restartedEmpty(standIn, count);
    return headOnceAnswering(esdb);
  }

  it('shows the projection failed at the next status check, naming its checkpoint and the head', async () => {
    const [before] = await runner.status();
    const head = await replaceTheStore(3);

    const [status] = await runner.status();
    expect(status).toMatchObject({ state: 'failed', checkpoint: before!.checkpoint });
    expect(status!.error).toContain(`position ${before!.checkpoint}`);
    expect(status!.error).toContain(`(${head})`);
    expect(status!.error).toContain('/admin/projections/stream_counter/rebuild');
    expect(await runner.waitFor(head, 200)).toBe(false);

    // The way out: a rebuild from the new log.
    await runner.rebuild('stream_counter');
    const [rebuilt] = await runner.status();
    expect(rebuilt).toMatchObject({ state: 'live', error: undefined });
    expect(await runner.waitFor(await esdb.headPosition(), 5000)).toBe(true);
  });

  it('notices it without a status check once the connection is back', async () => {
    const head = await replaceTheStore(1);
    await eventually(
      () => (errors.some((error) => error.includes(`past its end (${head})`)) ? true : undefined),
      5000,
      'the runner to report the log behind its checkpoint',
    );
  });
});

/**
 * Two instances on one EventStoreDB and one PostgreSQL read store, the store replaced by an empty
 * one: the instance standing by must refuse writes too, as nothing would project them.
 */
if (postgresAvailability().reachable || postgresRequired())
  describe('ProjectionRunner standing by on an EventStoreDB replaced while it runs', () => {
    let standIn: EsdbStandIn;
    let esdb: EsdbEventStore;
    /** The standby instance's own client. */
    let standbyLog: EsdbEventStore;
    let readStore: TestReadStore;
    const runners: ProjectionRunner[] = [];

    beforeEach(async () => {
      standIn = await startEsdbStandIn();
      esdb = await connectTo(standIn);
      standbyLog = await connectTo(standIn);
      readStore = await openTestReadStore('postgres');
    });

    afterEach(async () => {
      for (const runner of runners.splice(0)) await runner.stop();
      await readStore.dispose();
      await esdb.close();
      await standbyLog.close();
      await standIn.close();
    });

    async function replaceTheStore(): Promise<bigint> {
      standIn = await restartedEmpty(standIn, 1);
      return headOnceAnswering(esdb);
    }

    it('refuses writes and shows the error on the standby from its next poll, until the running instance rebuilds', async () => {
      for (let round = 0; round < 5; round += 1) await append(esdb, 20, 'ThingHappened');
      const running = new ProjectionRunner(esdb, readStore.store, [streamCounterProjection()], {
        standbyPollMs: 50,
      });
      runners.push(running);
      await running.start();
      const standing = new ProjectionRunner(
        standbyLog,
        await readStore.openAnother(),
        [streamCounterProjection()],
        // Polls far enough apart that none runs during the status check measured below, even on a
        // loaded machine (at 200 ms one did, in CI under load).
        { standbyPollMs: 1000 },
      );
      runners.push(standing);
      await standing.start();
      const writes = new ContinuityGuardedEventStore(standbyLog);
      writes.consult(standing);
      expect(await standing.waitFor(await esdb.headPosition(), 5000)).toBe(true);
      const [before] = await standing.status();
      expect(before).toMatchObject({ state: 'standby', error: undefined });

      const head = await replaceTheStore();
      const behind = await eventually(
        () => standing.logBehind(),
        5000,
        'the standby to find the log behind the checkpoint',
      );
      expect(behind).toMatchObject({ checkpoint: before!.checkpoint, head });
      await expect(append(writes, 1, 'ThingHappened')).rejects.toBeInstanceOf(
        EventLogBehindCheckpoint,
      );
      // One head read per check; the log's end confirms it once.
      const headReads = jest.spyOn(standbyLog, 'headPosition');
      const endReads = jest.spyOn(standbyLog, 'logEnd');
      const [status] = await standing.status();
      expect(headReads.mock.calls.length).toBe(1);
      expect(endReads.mock.calls.length).toBeLessThanOrEqual(1);
      headReads.mockRestore();
      endReads.mockRestore();
      expect(status).toMatchObject({ state: 'standby', checkpoint: before!.checkpoint });
      expect(status!.error).toContain(`position ${before!.checkpoint}, past its end (${head})`);
      expect(await standing.waitFor(head, 5000)).toBe(false);

      // The way out, on the instance running it, once it shows it failed too.
      expect((await running.status())[0]?.state).toBe('failed');
      await running.rebuild('stream_counter');
      const [rebuilt] = await standing.status();
      expect(rebuilt).toMatchObject({ state: 'standby', error: undefined });
      expect(standing.logBehind()).toBeUndefined();
      const position = await append(writes, 1, 'ThingHappened');
      expect(await standing.waitFor(position, 5000)).toBe(true);
    });
  });
