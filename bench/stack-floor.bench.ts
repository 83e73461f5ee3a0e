/**
 * The stack's floor (`npm run bench:floor`): what NestJS 11 on Fastify, class-validator and a
 * durable better-sqlite3 append allow on this machine before any of the service's own work, in
 * the terms the API and ingestion targets are set in. `bench/stack-floor.server.ts` runs in a
 * child process with none of the service's modules; this process drives it as `bench:api` and
 * `bench:ingest` drive the service (same autocannon load and rounds, same batches).
 *
 * - The contact routes are printed beside the bare app's constant route, measured in the same
 *   rounds: a create that validates and answers the contact object without storing it, and one
 *   that also appends one event durably (the least a create can store).
 * - The messenger batches (bench:ingest's first sightings and mixed traffic) are validated by
 *   their JSON schema and appended durably, one transaction per batch, beside the raw batched
 *   append ceiling.
 */
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createContactRequests, measureRounds, rowOf, type Route } from './api.bench';
import { median, printTable, type Row } from './bench-table';
import { firstSightings, mixedTraffic, runPhase } from './ingest.bench';
import { benchDir, rawAppends } from './raw-append-ceiling';
import { cpuProfileOptions } from './service-measures';

const PORT = Number(process.env.BENCH_FLOOR_PORT ?? 3998);
const CREATE_TARGET = 0.25;
const INGEST_TARGET = 0.3;

async function main(): Promise<void> {
  const dir = benchDir('bench-floor-');
  const server = fork(join(__dirname, 'stack-floor.server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', ...cpuProfileOptions()],
    env: {
      ...process.env,
      PORT: String(PORT),
      FLOOR_DB_FILE: join(dir, 'events.sqlite'),
      FLOOR_DIR: dir,
    },
  });
  try {
    await new Promise((ready, failed) => {
      server.once('message', ready);
      server.once('exit', (code) => failed(new Error(`floor server exited (${code})`)));
    });
    const baseUrl = `http://127.0.0.1:${PORT}`;
    const routes: Route[] = [
      {
        name: 'constant',
        label: 'GET /health/live (constant route of the bare app)',
        options: { url: `${baseUrl}/health/live` },
      },
      {
        name: 'unstored',
        label: 'POST /contacts/unstored (validate, answer the contact; no storage)',
        options: {
          url: baseUrl,
          requests: createContactRequests.map((request) => ({
            ...request,
            path: '/contacts/unstored',
          })),
        },
      },
      {
        name: 'unstored-schema',
        label: 'POST /contacts/unstored-schema (the same, validated by JSON schema)',
        options: {
          url: baseUrl,
          requests: createContactRequests.map((request) => ({
            ...request,
            path: '/contacts/unstored-schema',
          })),
        },
      },
      {
        name: 'stored',
        label: 'POST /contacts (the same + one durable append, group commit)',
        options: { url: baseUrl, requests: createContactRequests },
      },
    ];
    const summaries = await measureRounds({ child: server }, routes);
    console.log('contact create floor (autocannon as bench:api; medians over rounds):');
    printTable(summaries.map(rowOf));

    const ceilings = [rawAppends(40_000, 1000)];
    const start = Math.floor(Date.now() / 1000) - 86_400;
    const first = await runPhase(baseUrl, firstSightings(start));
    ceilings.push(rawAppends(40_000, 1000));
    const mixed = await runPhase(baseUrl, mixedTraffic(start + 60));
    ceilings.push(rawAppends(40_000, 1000));
    const ceiling = median(ceilings);
    console.log(
      'ingestion floor (batches as bench:ingest; schema-validated, one durable transaction per batch):',
    );
    printTable([
      {
        measure: 'raw better-sqlite3, 1000 events per transaction (FULL)',
        value: ceiling,
        unit: 'events/s',
      },
      ...[
        ['first sightings', first],
        ['mixed traffic', mixed],
      ].map(([name, phase]) => {
        const { itemsPerSecond, p99Ms } = phase as typeof first;
        return {
          measure: `bare ingest, ${name as string}`,
          value: itemsPerSecond,
          unit: 'items/s',
          ratios: [
            `${(itemsPerSecond / ceiling).toFixed(2)}x raw batched`,
            `p99 ${p99Ms.toFixed(0)} ms per batch`,
          ],
        };
      }),
    ]);
    const withReadModels = await readModelFloors(baseUrl, start, ceiling);
    const ratio = (name: string) => summaries.find((summary) => summary.route.name === name)!.ratio;
    const ingestRatio = Math.min(first.itemsPerSecond, mixed.itemsPerSecond) / ceiling;
    console.log(
      `floors against the targets: POST /contacts >= ${CREATE_TARGET}x constant: unstored ${ratio('unstored').toFixed(2)}x ` +
        `(by JSON schema ${ratio('unstored-schema').toFixed(2)}x), ` +
        `stored ${ratio('stored').toFixed(2)}x; ingestion >= ${INGEST_TARGET}x raw batched: ${ingestRatio.toFixed(2)}x, ` +
        `with its read models kept up ${withReadModels['read-models-here'].toFixed(2)}x on one thread, ${withReadModels['read-models-in-worker'].toFixed(2)}x with a worker; ` +
        `with the service's read models at their least ${withReadModels['service-read-models-here'].toFixed(2)}x on one thread, ` +
        `${withReadModels['service-read-models-in-worker'].toFixed(2)}x with a worker; ` +
        `and with segment membership's own copy ${withReadModels['membership-read-models-here'].toFixed(2)}x on one thread, ` +
        `${withReadModels['membership-read-models-in-worker'].toFixed(2)}x with a worker`,
    );
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    if (server.exitCode === null && server.kill('SIGTERM')) await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ingestion variants with read models, by the server's route prefix. */
const READ_MODEL_VARIANTS = [
  { prefix: 'read-models-here', label: 'read models on its thread' },
  { prefix: 'read-models-in-worker', label: 'read models in a worker', inWorker: true },
  { prefix: 'service-read-models-here', label: "the service's read models on its thread" },
  {
    prefix: 'service-read-models-in-worker',
    label: "the service's read models in a worker",
    inWorker: true,
  },
  {
    prefix: 'membership-read-models-here',
    label: "the service's read models + membership's copy on its thread",
  },
  {
    prefix: 'membership-read-models-in-worker',
    label: "the service's read models + membership's copy in a worker",
    inWorker: true,
  },
] as const;

type Variant = (typeof READ_MODEL_VARIANTS)[number]['prefix'];

interface CpuMicros {
  readonly main: number;
  readonly workers: Readonly<Record<string, number>>;
  readonly process: number;
}

const cpuOf = async (baseUrl: string) =>
  (await (await fetch(`${baseUrl}/cpu`)).json()) as CpuMicros;

/**
 * The same batches with the least read-model writes they cause (`stack-floor.read-models.ts`),
 * with the service's other read models at their least besides
 * (`stack-floor.service-read-models.ts`), and with the copy segment membership keeps of them
 * too (`MembershipCopy`), applied on the server's thread or on a worker thread.
 * Sustained ingestion cannot outrun its read models (backpressure), so each phase counts until
 * they caught up as well as until answered. Each variant has its own log and read store, so the
 * phases run on fresh files as bench:ingest's. CPU per item is the server thread's, the worker's
 * and the whole process's (its other threads: the collector's helpers) from a phase's start until
 * its read models caught up: which thread bounds the figure.
 */
async function readModelFloors(
  baseUrl: string,
  start: number,
  ceiling: number,
): Promise<Record<Variant, number>> {
  const sustained = Object.fromEntries(
    READ_MODEL_VARIANTS.map(({ prefix }) => [prefix, Infinity]),
  ) as Record<Variant, number>;
  const rows: Row[] = [];
  const resent: string[] = [];
  for (const variant of READ_MODEL_VARIANTS) {
    const { prefix, label } = variant;
    const inWorker = 'inWorker' in variant;
    const sightings = firstSightings(start);
    for (const [name, batches] of [
      ['first sightings', sightings],
      ['mixed traffic', mixedTraffic(start + 60)],
    ] as const) {
      const cpuBefore = await cpuOf(baseUrl);
      const started = performance.now();
      const phase = await runPhase(`${baseUrl}/${prefix}`, batches);
      if (inWorker) await fetch(`${baseUrl}/${prefix}/caught-up`);
      const keptUp = phase.items / ((performance.now() - started) / 1000);
      const cpuAfter = await cpuOf(baseUrl);
      const perItem = (before: number, after: number) =>
        `${((after - before) / phase.items).toFixed(1)}`;
      sustained[prefix] = Math.min(sustained[prefix], keptUp / ceiling);
      rows.push({
        measure: `ingest + ${label}, ${name}`,
        value: keptUp,
        unit: 'items/s',
        ratios: [
          `${(keptUp / ceiling).toFixed(2)}x raw batched (read models caught up)`,
          `answered ${(phase.itemsPerSecond / ceiling).toFixed(2)}x`,
          `p99 ${phase.p99Ms.toFixed(0)} ms per batch`,
          `CPU µs/item: main ${perItem(cpuBefore.main, cpuAfter.main)}` +
            (inWorker
              ? `, worker ${perItem(cpuBefore.workers[prefix]!, cpuAfter.workers[prefix]!)}`
              : '') +
            `, process ${perItem(cpuBefore.process, cpuAfter.process)}`,
        ],
      });
    }
    // Its exactly-once at work: a batch sent again is answered duplicate, item by item.
    const again = await runPhase(`${baseUrl}/${prefix}`, [sightings[0]!]);
    resent.push(`${label} ${JSON.stringify(again.statuses)}`);
  }
  console.log(
    'ingestion floor with its read models (the same batches; one event per item, its id derived from the key; the least read-model writes, raw statements):',
  );
  printTable(rows);
  console.log(`the first batch sent again: ${resent.join(', ')}`);
  return sustained;
}

void main();
