/**
 * HTTP API benchmark (`npm run bench:api`): the built service in a child process (embedded
 * default, durable commits), driven by autocannon from this process. Every figure is printed
 * beside a constant NestJS route of the same app and adapter (`GET /health/live`) measured in
 * the same run. The search runs on an indexed field over BENCH_CONTACTS (default 100,000)
 * contacts, seeded through the event store before the service starts. BENCH_CPU_PROF=<dir>
 * writes the service's CPU profile there (BENCH_CPU_PROF_INTERVAL=<µs> samples more often than
 * node's 1 ms default); BENCH_ROUTES=retrieve,create,search picks routes. The routes are measured
 * in BENCH_ROUNDS (default 5) rounds of BENCH_DURATION seconds (default 4), each round with its own
 * constant-route measurement, since the speed of a shared machine drifts within a run.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { contactStreamId } from '../src/shared/stream-names';
import { newContactId } from '../src/contacts/contact-id';
import { spawnService, waitUntilReady, type ServiceProcess } from '../test/support/service-process';
import { median, printTable, type Row } from './bench-table';
import { cpuProfileOptions, cpuSecondsOf, projectionsCaughtUp } from './service-measures';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 100_000);
const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-token-0001';
const WORKSPACE = 'bench';

interface Seeded {
  readonly ids: string[];
  readonly emails: string[];
}

async function seed(dataDir: string): Promise<Seeded> {
  const store = SqliteEventStore.open({ dataDir, synchronous: 'NORMAL' });
  const ids: string[] = [];
  const emails: string[] = [];
  const createdAt = Math.floor(Date.now() / 1000) - 86_400;
  for (let start = 0; start < CONTACTS; start += 1000) {
    const appends = [];
    for (let index = start; index < Math.min(start + 1000, CONTACTS); index += 1) {
      const id = newContactId(Date.now() - (CONTACTS - index) * 1000);
      const email = `person${index}@bench${index % 97}.example`;
      ids.push(id);
      emails.push(email);
      appends.push(
        store.append(
          contactStreamId(WORKSPACE, id),
          [
            {
              id: randomUUID(),
              type: 'UserCreated',
              data: {
                contactId: id,
                workspaceId: WORKSPACE,
                createdAt: createdAt + index,
                attributes: { email, name: `Person ${index}`, external_id: `ext-${index}` },
              },
              metadata: { workspaceId: WORKSPACE, occurredAt: Date.now(), schemaVersion: 1 },
            },
          ],
          { expectedRevision: 'no_stream' },
        ),
      );
    }
    await Promise.all(appends);
  }
  await store.close();
  return { ids, emails };
}

function startService(dataDir: string): Promise<ServiceProcess> {
  return spawnService(
    { DATA_DIR: dataDir, ACCESS_TOKENS: `${WORKSPACE}:${TOKEN}`, LOG_LEVEL: 'warn' },
    {
      nodeOptions: [
        ...cpuProfileOptions(),
        ...(process.env.BENCH_CPU_PROF && process.env.BENCH_CPU_PROF_INTERVAL
          ? [`--cpu-prof-interval=${process.env.BENCH_CPU_PROF_INTERVAL}`]
          : []),
      ],
      built: true,
    },
  );
}

const waitForProjections = (service: ServiceProcess) => projectionsCaughtUp(service.baseUrl, TOKEN);

interface Measured {
  readonly requestsPerSecond: number;
  /** Of every answered request, in milliseconds. */
  readonly latencies: readonly number[];
  readonly errors: number;
  /** Service CPU (user + system) per request: steadier than req/s on a shared machine. */
  readonly cpuMicrosPerRequest: number;
  /**
   * This process's CPU (autocannon) per request: on two shared cores req/s follows the sum of
   * both, and parsing a larger response costs the client more.
   */
  readonly clientCpuMicrosPerRequest: number;
}

/**
 * Runs autocannon against the service; its CPU is counted until `settled` (writes: until every
 * projection has applied them, so the work they leave behind is charged to them).
 */
async function measure(
  service: { readonly child: { readonly pid?: number } },
  options: autocannon.Options,
  settled: () => Promise<void> = () => Promise.resolve(),
): Promise<Measured> {
  const pid = service.child.pid!;
  const cpuBefore = cpuSecondsOf(pid);
  const clientBefore = process.cpuUsage();
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        connections: CONNECTIONS,
        duration: DURATION_SECONDS,
        ...options,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          ...options.headers,
        },
      },
      (error, finished) =>
        error
          ? reject(error instanceof Error ? error : new Error(String(error)))
          : resolve(finished),
    );
    instance.on('response', (_client, _status, _bytes, milliseconds) =>
      latencies.push(milliseconds),
    );
  });
  const client = process.cpuUsage(clientBefore);
  await settled();
  return {
    requestsPerSecond: result.requests.average,
    latencies,
    errors: result.errors + result.non2xx + result.timeouts,
    cpuMicrosPerRequest: ((cpuSecondsOf(pid) - cpuBefore) * 1e6) / result.requests.total,
    clientCpuMicrosPerRequest: (client.user + client.system) / result.requests.total,
  };
}

/** The POST /contacts load: a new user with an email of its own per request. */
export const createContactRequests: autocannon.Request[] = [
  {
    method: 'POST',
    path: '/contacts',
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({
        email: `new-${randomUUID()}@bench.example`,
        role: 'user',
        name: 'New person',
      }),
    }),
  },
];

function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)]!;
}

export interface Route {
  readonly name: string;
  readonly label: string;
  readonly options: autocannon.Options;
  readonly settled?: () => Promise<void>;
}

/**
 * A route over every round: medians, the p99 of every request of every round, and the median of
 * its per-round ratios.
 */
export interface Summary {
  readonly route: Route;
  readonly requestsPerSecond: number;
  readonly p99: number;
  readonly errors: number;
  readonly cpuMicrosPerRequest: number;
  readonly clientCpuMicrosPerRequest: number;
  /** To the constant route of the same round (1 for the constant route itself). */
  readonly ratio: number;
  readonly roundRatios: readonly number[];
  readonly cpuRatio: number;
}

function summarize(route: Route, rounds: readonly Map<string, Measured>[]): Summary {
  const of = (name: string) => rounds.map((round) => round.get(name)!);
  const measured = of(route.name);
  const constant = of('constant');
  const roundRatios = measured.map((m, i) => m.requestsPerSecond / constant[i]!.requestsPerSecond);
  return {
    route,
    requestsPerSecond: median(measured.map((m) => m.requestsPerSecond)),
    p99: percentile(
      measured.flatMap((m) => m.latencies),
      0.99,
    ),
    errors: measured.reduce((sum, m) => sum + m.errors, 0),
    cpuMicrosPerRequest: median(measured.map((m) => m.cpuMicrosPerRequest)),
    clientCpuMicrosPerRequest: median(measured.map((m) => m.clientCpuMicrosPerRequest)),
    ratio: median(roundRatios),
    roundRatios,
    cpuRatio: median(
      measured.map((m, i) => constant[i]!.cpuMicrosPerRequest / m.cpuMicrosPerRequest),
    ),
  };
}

/** The smallest value at least `fraction` of the values are at or below. */
function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/**
 * The machine's speed drifts: every round measures the constant route (named `constant`, first
 * in `routes`), then each route, and a route's ratio is the median of its rounds' ratios (each to
 * its own round's constant).
 */
export async function measureRounds(
  service: { readonly child: { readonly pid?: number } },
  routes: readonly Route[],
): Promise<Summary[]> {
  const rounds: Map<string, Measured>[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const measured = new Map<string, Measured>();
    for (const route of routes) {
      measured.set(route.name, await measure(service, route.options, route.settled));
    }
    rounds.push(measured);
  }
  return routes.map((route) => summarize(route, rounds));
}

export function rowOf(summary: Summary): Row {
  const withRatio = summary.route.name !== 'constant';
  return {
    measure: summary.route.label,
    value: summary.requestsPerSecond,
    unit: 'req/s',
    ratios: [
      `p99 ${summary.p99.toFixed(1)} ms`,
      ...(withRatio
        ? [
            `${summary.ratio.toFixed(2)}x constant (rounds ${summary.roundRatios.map((ratio) => ratio.toFixed(2)).join(' ')})`,
          ]
        : [`${summary.roundRatios.length} rounds`]),
      `service CPU ${summary.cpuMicrosPerRequest.toFixed(0)} µs/req` +
        (withRatio ? ` (${summary.cpuRatio.toFixed(2)}x constant)` : ''),
      `client CPU ${summary.clientCpuMicrosPerRequest.toFixed(0)} µs/req`,
      ...(summary.errors > 0 ? [`${summary.errors} errors`] : []),
    ],
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  try {
    let started = performance.now();
    const seeded = await seed(dataDir);
    console.log(
      `seeded ${CONTACTS} contacts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const service = await startService(dataDir);
    try {
      await waitUntilReady(service, 120_000);
      started = performance.now();
      await waitForProjections(service);
      console.log(
        `projections caught up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      console.log(
        `autocannon: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_SECONDS} s per route (medians; p99 over every request of every round)`,
      );

      const only = process.env.BENCH_ROUTES?.split(',');
      const wanted = (route: string) => only === undefined || only.includes(route);
      const allRoutes: Route[] = [
        {
          name: 'constant',
          label: 'GET /health/live (constant NestJS route, same adapter)',
          options: { url: `${service.baseUrl}/health/live` },
        },
        {
          name: 'retrieve',
          label: 'GET /contacts/{id}',
          options: {
            url: service.baseUrl,
            requests: [
              {
                method: 'GET',
                setupRequest: (request) => ({ ...request, path: `/contacts/${pick(seeded.ids)}` }),
              },
            ],
          },
        },
        {
          name: 'create',
          label: 'POST /contacts (reservation + durable append + read-your-writes)',
          options: {
            url: service.baseUrl,
            requests: createContactRequests,
          },
          settled: () => waitForProjections(service),
        },
        {
          name: 'search',
          label: `POST /contacts/search (email =, ${CONTACTS} contacts)`,
          options: {
            url: service.baseUrl,
            requests: [
              {
                method: 'POST',
                path: '/contacts/search',
                setupRequest: (request) => ({
                  ...request,
                  body: JSON.stringify({
                    query: { field: 'email', operator: '=', value: pick(seeded.emails) },
                  }),
                }),
              },
            ],
          },
        },
      ];
      const routes = allRoutes.filter((route) => route.name === 'constant' || wanted(route.name));

      const summaries = await measureRounds(service, routes);
      printTable(summaries.map(rowOf));
      const ratioOf = (name: string) =>
        summaries.find((summary) => summary.route.name === name)?.ratio ?? 0;
      const searchP99 = summaries.find((summary) => summary.route.name === 'search')?.p99 ?? 0;
      console.log(
        `targets: GET >= 0.5x constant: ${ratioOf('retrieve').toFixed(2)}x ${ratioOf('retrieve') >= 0.5 ? 'OK' : 'MISSED'}; ` +
          `POST >= 0.25x constant: ${ratioOf('create').toFixed(2)}x ${ratioOf('create') >= 0.25 ? 'OK' : 'MISSED'}; ` +
          `search p99 < 50 ms: ${searchP99.toFixed(1)} ms ${searchP99 < 50 ? 'OK' : 'MISSED'}`,
      );
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
