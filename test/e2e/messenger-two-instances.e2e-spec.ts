import { startEsdbStandIn, type EsdbStandIn } from '../support/esdb-stand-in/esdb-stand-in';
import { ingestBatch, type IngestionResultJson } from '../support/messenger-batches';
import { startTestApp, type TestApp } from '../support/test-app';

const VISITORS = 3;
const ROUNDS = 4;
const ITEMS_PER_BATCH = 60;

/**
 * Two instances of the service on one EventStoreDB (the stand-in), as production runs them:
 * neither queues behind the other's writes, so batches for the same visitors on both at once
 * keep losing a stream's revision to each other, and each lost race is run again. (Here both
 * share this process's event loop with the stand-in, so they meet less often than two processes
 * do: what needed the pause between retries, `pauseBeforeRetry`, took two processes to show.)
 */
describe('messenger ingestion on two instances sharing one EventStoreDB', () => {
  let standIn: EsdbStandIn;
  let instances: TestApp[];

  beforeAll(async () => {
    standIn = await startEsdbStandIn();
    const environment = { EVENTSTORE_CONNECTION_STRING: standIn.connectionString };
    instances = [await startTestApp(environment), await startTestApp(environment)];
  });
  afterAll(async () => {
    for (const instance of instances ?? []) await instance.close();
    await standIn?.close();
  });

  const batchFor = (instance: number, round: number) => {
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: ITEMS_PER_BATCH }, (_, index) => ({
      id: `race-${instance}-${round}-${index}`,
      type: 'event.tracked',
      occurred_at: now,
      visitor_id: `race-visitor-${index % VISITORS}`,
      // Data events of one contact, name and second are one event: each item names its own.
      event_name: `raced-${instance}-${round}-${index}`,
    }));
  };

  it('accepts every item of batches racing for the same visitors and applies each once', async () => {
    const sent = Array.from({ length: ROUNDS }, (_, round) =>
      instances.map((_, instance) => batchFor(instance, round)),
    );
    // Every batch at once: each instance runs its own batches concurrently too.
    const results = await Promise.all(
      sent.flatMap((batches) =>
        batches.map((batch, instance) => ingestBatch(instances[instance]!, batch)),
      ),
    );
    const answers: IngestionResultJson[] = results.flat();
    expect(answers.filter((answer) => answer.status !== 'accepted')).toEqual([]);

    const tracked = new Map<string, number>();
    for await (const event of standIn.store.readAll()) {
      if (event.type !== 'DataEventTracked') continue;
      const { name } = event.data as { name: string };
      tracked.set(name, (tracked.get(name) ?? 0) + 1);
    }
    expect(tracked.size).toBe(sent.flat(2).length);
    expect([...tracked.values()].every((count) => count === 1)).toBe(true);

    // Either instance finds each of them done, whichever wrote it.
    const again = await ingestBatch(instances[1]!, sent[0]![0]!);
    expect(again.map((answer) => answer.status)).toEqual(sent[0]![0]!.map(() => 'duplicate'));
  });
});
