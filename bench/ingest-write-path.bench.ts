/**
 * The ingestion write path alone (`npx ts-node --transpile-only bench/ingest-write-path.bench.ts`):
 * the app's Nest module started in-process without its projections and segment deadlines (and
 * without HTTP), and `MessengerIngestion.ingest` called with `bench:ingest`'s batches (first
 * sightings, mixed traffic from a fixed seed, one visitor's burst), two batches in flight, on the
 * embedded store (`synchronous=FULL` unless BENCH_SYNCHRONOUS says otherwise) with a clock that
 * stands still. Prints this process's CPU µs per item for each phase. Options: BENCH_BATCHES
 * (mixed-traffic batches) and BENCH_BURST_BATCHES as `bench:ingest` takes them, BENCH_HEAP=1 (also
 * the bytes allocated per item, sampled by V8's heap profiler, which itself costs CPU: read the CPU
 * figures from a run without it), BENCH_DUMP=<file> (a further phase of resends and identifying
 * items, then the event log, ordered by stream and revision, and every answer, as JSON lines: two
 * builds given the same batches must write the same file).
 */
import Database from 'better-sqlite3';
import { Test } from '@nestjs/testing';
import { rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { Environment, loadEnvironment } from '../src/config/environment';
import { MessengerIngestion } from '../src/messenger/messenger-ingestion.service';
import type { IngestionResult } from '../src/messenger/ingestion-result';
import { ProjectionRunnerLifecycle } from '../src/projection-runner/projection-runner.module';
import { SegmentDeadlineScheduler } from '../src/segments/segment-deadline-scheduler';
import { CLOCK } from '../src/shared/clock';
import { seededRandom } from '../test/support/contact-search-fixtures';
import { firstSightings, mixedTraffic, oneVisitorsBurst } from './ingest.bench';
import { benchDir } from './raw-append-ceiling';

const WORKSPACE = 'bench';
const START = 1_750_000_000;
const IN_FLIGHT = 2;
/** Merges and identity claims take random (v4) ids: only where they stand is compared. */
const RANDOM_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

type Item = Record<string, unknown>;

interface Phase {
  readonly name: string;
  readonly batches: Item[][];
}

/**
 * For the comparison of builds (BENCH_DUMP), what the phases measured do not send: batches sent
 * again, keys repeated within a batch, and the identifying items (sign-ups and log-ins, with and
 * without a session, emails supplied); none that the read models would answer (they are not
 * running).
 */
function resendsAndIdentities(mixed: Item[][]): Item[][] {
  const at = START + 86_000;
  const repeated = mixed[1]!.slice(0, 100).flatMap((item) => [item, item]);
  const identities: Item[] = [];
  for (let index = 0; index < 60; index += 1) {
    const visitor = `bench-visitor-${index + 1}`;
    identities.push(
      {
        id: `signup-${index}`,
        type: 'contact.signed_up',
        occurred_at: at,
        visitor_id: visitor,
        external_id: `user-${index}`,
        email: `user-${index}@example.com`,
        attributes: { name: `User ${index}` },
      },
      {
        id: `seen-after-signup-${index}`,
        type: 'visitor.seen',
        occurred_at: at + 1,
        visitor_id: visitor,
        context: { browser: 'chrome' },
      },
      {
        id: `email-${index}`,
        type: 'email.supplied',
        occurred_at: at + 2,
        visitor_id: `bench-visitor-${index + 100}`,
        email: `lead-${index}@example.com`,
      },
      {
        id: `login-${index}`,
        type: 'contact.logged_in',
        occurred_at: at + 3,
        visitor_id: `bench-visitor-${index + 200}`,
        external_id: `user-${index}`,
      },
      {
        id: `sessionless-${index}`,
        type: 'contact.signed_up',
        occurred_at: at + 4,
        external_id: `other-${index}`,
      },
    );
  }
  return [mixed[0]!, [...repeated, ...identities.slice(0, 150)], identities.slice(150), mixed[0]!];
}

/** Bytes allocated while `work` runs, from V8's sampling heap profiler (objects collected too). */
async function allocatedDuring(session: Session, work: () => Promise<void>): Promise<number> {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  await work();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { samples: Array<{ size: number }> };
  };
  return profile.samples.reduce((sum, sample) => sum + sample.size, 0);
}

async function main(): Promise<void> {
  const dataDir = benchDir('bench-ingest-write-');
  const environment = loadEnvironment({
    DATA_DIR: dataDir,
    ACCESS_TOKENS: `${WORKSPACE}:bench-token-0001`,
    LOG_LEVEL: 'silent',
    SQLITE_SYNCHRONOUS: process.env.BENCH_SYNCHRONOUS ?? 'FULL',
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(Environment)
    .useValue(environment)
    .overrideProvider(CLOCK)
    .useValue({ now: () => (START + 86_400) * 1000 })
    .overrideProvider(ProjectionRunnerLifecycle)
    .useValue({ onApplicationBootstrap: () => undefined })
    .overrideProvider(SegmentDeadlineScheduler)
    .useValue({
      onApplicationBootstrap: () => undefined,
      beforeApplicationShutdown: () => undefined,
    })
    .compile();
  moduleRef.useLogger(false);
  // Started without the projections (nor segment deadlines): the command handlers registered.
  await moduleRef.init();
  const ingestion = moduleRef.get(MessengerIngestion);
  const session = process.env.BENCH_HEAP ? new Session() : undefined;
  session?.connect();
  const answers: IngestionResult[][][] = [];
  const mixed = mixedTraffic(START + 60, seededRandom(1));
  const phases: Phase[] = [
    { name: 'first sightings', batches: firstSightings(START) },
    { name: 'mixed traffic', batches: mixed },
    { name: "one visitor's burst", batches: oneVisitorsBurst(START + 60 + mixed.length * 30) },
  ];
  if (process.env.BENCH_DUMP)
    phases.push({ name: 'resends and identities', batches: resendsAndIdentities(mixed) });
  try {
    for (const phase of phases) {
      const answered: IngestionResult[][] = [];
      answers.push(answered);
      let next = 0;
      const run = async () => {
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < phase.batches.length) {
              const index = next++;
              answered[index] = await ingestion.ingest(WORKSPACE, phase.batches[index]!);
            }
          }),
        );
      };
      const items = phase.batches.reduce((sum, batch) => sum + batch.length, 0);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const allocated = session ? await allocatedDuring(session, run) : (await run(), undefined);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const statuses: Record<string, number> = {};
      for (const batch of answered)
        for (const answer of batch) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      console.log(
        `${phase.name}: ${Math.round(items / seconds)} items/s, CPU ${((cpu.user + cpu.system) / items).toFixed(1)} µs/item` +
          (allocated !== undefined
            ? `, ${(allocated / items / 1024).toFixed(1)} KB allocated/item`
            : '') +
          ` ${JSON.stringify(statuses)}`,
      );
    }
  } finally {
    session?.disconnect();
    await moduleRef.close();
  }
  if (process.env.BENCH_DUMP) {
    const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    const events = db
      .prepare(
        'SELECT stream_id, revision, id, type, data, metadata FROM events ORDER BY stream_id, revision',
      )
      .all();
    db.close();
    writeFileSync(
      process.env.BENCH_DUMP,
      [...events, ...answers.flat(2)]
        .map((line) => JSON.stringify(line).replace(RANDOM_UUID, 'random'))
        .join('\n') + '\n',
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
}

void main();
