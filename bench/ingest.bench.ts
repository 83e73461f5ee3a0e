/**
 * Ingestion benchmark (`npm run bench:ingest`): `POST /messenger/events` on the service in a
 * child process (embedded store, `synchronous=FULL`: every accepted item is on disk before its
 * response), batches of 500 items over 10,000 visitors, a few batches in flight. Printed beside
 * the raw batched append ceiling (better-sqlite3 directly, 1000 events per durable transaction)
 * measured in the same run. Then one visitor's burst: batches of 500 data events all for one
 * visitor_id (one session sending many events in one batch). Options: BENCH_BATCHES
 * (mixed-traffic batches, default 60), BENCH_BURST_BATCHES (burst batches, default 4),
 * BENCH_IN_FLIGHT (concurrent requests, default 2), BENCH_CPU_PROF=<dir> (a CPU profile of the
 * service), BENCH_NODE_OPTIONS (options for the service's node).
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnService, waitUntilReady } from '../test/support/service-process';
import { median, printTable, type Row } from './bench-table';
import { benchDir, rawAppends } from './raw-append-ceiling';
import { phasesOfLog, sameLogCeiling } from './same-log-ceiling';
import { cpuProfileOptions, cpuSecondsOf, projectionsCaughtUp } from './service-measures';

const CONTACTS = 10_000;
const BATCH_SIZE = 500;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 60);
const BURST_BATCHES = Number(process.env.BENCH_BURST_BATCHES ?? 4);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 2);
const TOKEN = 'bench-token-0001';
const TARGET_RATIO = 0.3;

/**
 * BENCH_NODE_OPTIONS: options for the service's node (space-separated), to measure the runtime's
 * settings, e.g. `--max-semi-space-size=64` (a larger young generation, scavenged less often).
 */
const serviceNodeOptions = (): string[] =>
  (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter((option) => option !== '');

type Item = Record<string, unknown>;

interface PhaseResult {
  readonly items: number;
  readonly itemsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statuses: Record<string, number>;
  readonly throttled: number;
}

const visitorId = (index: number) => `bench-visitor-${index}`;
const context = {
  browser: 'firefox',
  os: 'linux',
  location: { country: 'Ireland', city: 'Dublin' },
};

/** Every visitor's first sighting: registers the 10,000 visitors. */
export function firstSightings(start: number): Item[][] {
  const batches: Item[][] = [];
  for (let offset = 0; offset < CONTACTS; offset += BATCH_SIZE) {
    batches.push(
      Array.from({ length: BATCH_SIZE }, (_, index) => ({
        id: `first-${offset + index}`,
        type: 'visitor.seen',
        occurred_at: start,
        visitor_id: visitorId(offset + index),
        context,
      })),
    );
  }
  return batches;
}

/**
 * Messenger-like traffic on random visitors: sightings (some throttled: no event, a completion
 * record instead), data events, attribute updates, conversations. `random` in [0, 1): a seeded
 * one (`seededRandom`) gives the same batches on every run.
 */
export function mixedTraffic(start: number, random: () => number = Math.random): Item[][] {
  let sequence = 0;
  return Array.from({ length: BATCHES }, (_, batch) =>
    Array.from({ length: BATCH_SIZE }, () => {
      sequence += 1;
      const who = visitorId(Math.floor(random() * CONTACTS));
      const occurredAt = start + batch * 30 + Math.floor(random() * 30);
      const base = { id: `mixed-${sequence}`, occurred_at: occurredAt, visitor_id: who };
      const dice = random();
      if (dice < 0.5) return { ...base, type: 'visitor.seen', context };
      if (dice < 0.8)
        return {
          ...base,
          type: 'event.tracked',
          event_name: 'viewed-pricing',
          metadata: { plan: 'pro' },
        };
      if (dice < 0.9)
        return {
          ...base,
          type: 'contact.attributes_updated',
          attributes: { name: `Visitor ${sequence}` },
        };
      return { ...base, type: 'conversation.started', conversation_id: `c-${sequence}` };
    }),
  );
}

/** One visitor's session sending many data events in each batch (a visitor seen before). */
export function oneVisitorsBurst(start: number): Item[][] {
  return Array.from({ length: BURST_BATCHES }, (_, batch) =>
    Array.from({ length: BATCH_SIZE }, (_, index) => ({
      id: `burst-${batch}-${index}`,
      type: 'event.tracked',
      occurred_at: start + batch,
      visitor_id: visitorId(0),
      event_name: 'scrolled',
      metadata: { step: index },
    })),
  );
}

async function post(
  baseUrl: string,
  items: Item[],
): Promise<{ ms: number; statuses: string[]; throttled: number }> {
  let throttled = 0;
  for (;;) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/messenger/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: items }),
    });
    if (response.status === 429) {
      throttled += 1;
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    if (response.status !== 200)
      throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { results: Array<{ status: string }> };
    return {
      ms: performance.now() - started,
      statuses: body.results.map((result) => result.status),
      throttled,
    };
  }
}

export async function runPhase(baseUrl: string, batches: Item[][]): Promise<PhaseResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let throttled = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const result = await post(baseUrl, batch);
        latencies.push(result.ms);
        throttled += result.throttled;
        for (const status of result.statuses) statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  const items = batches.length * BATCH_SIZE;
  return {
    items,
    itemsPerSecond: items / seconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    statuses,
    throttled,
  };
}

/**
 * A phase's throughput (until the last batch is answered) and the service's CPU per item from
 * the phase's start until its read models caught up: the steadier figure on a shared machine.
 */
async function measurePhase(
  service: { readonly baseUrl: string; readonly child: { readonly pid?: number } },
  batches: Item[][],
): Promise<PhaseResult & { readonly cpuMicrosPerItem: number }> {
  const pid = service.child.pid!;
  const cpuBefore = cpuSecondsOf(pid);
  const result = await runPhase(service.baseUrl, batches);
  await projectionsCaughtUp(service.baseUrl, TOKEN);
  const cpuMicrosPerItem = ((cpuSecondsOf(pid) - cpuBefore) * 1e6) / result.items;
  return { ...result, cpuMicrosPerItem };
}

async function main(): Promise<void> {
  console.log(
    `ingestion benchmark: batches of ${BATCH_SIZE} over ${CONTACTS} visitors, ${IN_FLIGHT} requests in flight, synchronous=FULL`,
  );
  // The disk's speed drifts: the ceiling is measured before, between and after the phases.
  const ceilings = [rawAppends(40_000, 1000)];
  const dataDir = benchDir('bench-ingest-');
  const service = await spawnService(
    {
      DATA_DIR: dataDir,
      ACCESS_TOKENS: `bench:${TOKEN}`,
      LOG_LEVEL: 'warn',
      SQLITE_SYNCHRONOUS: 'FULL',
    },
    { nodeOptions: [...cpuProfileOptions(), ...serviceNodeOptions()], built: true },
  );
  try {
    await waitUntilReady(service);
    const start = Math.floor(Date.now() / 1000) - 86_400;
    const first = await measurePhase(service, firstSightings(start));
    ceilings.push(rawAppends(40_000, 1000));
    const mixed = await measurePhase(service, mixedTraffic(start + 60));
    const burst = await measurePhase(service, oneVisitorsBurst(start + 60 + BATCHES * 30));
    service.child.kill('SIGTERM');
    await service.exited;
    ceilings.push(rawAppends(40_000, 1000));
    const ceiling = median(ceilings);
    const logFile = join(dataDir, 'events.sqlite');
    const phases = phasesOfLog(logFile, ['first-', 'mixed-', 'burst-']);
    const sameLogRounds = [0, 1, 2].map(() => sameLogCeiling(logFile, phases));
    const sameLog = phases.map((_, index) => median(sameLogRounds.map((round) => round[index]!)));
    const db = new Database(logFile, { readonly: true });
    const events = (db.prepare('SELECT COUNT(*) AS count FROM events').get() as { count: number })
      .count;
    db.close();

    const ratio = (rate: number) => `${(rate / ceiling).toFixed(2)}x raw batched`;
    const phaseRow = (
      measure: string,
      phase: PhaseResult & { readonly cpuMicrosPerItem: number },
      phaseIndex: number,
    ): Row => ({
      measure,
      value: phase.itemsPerSecond,
      unit: 'items/s',
      ratios: [
        ratio(phase.itemsPerSecond),
        `${(phase.itemsPerSecond / sameLog[phaseIndex]!).toFixed(2)}x same log raw`,
        `p50 ${phase.p50Ms.toFixed(0)} ms`,
        `p99 ${phase.p99Ms.toFixed(0)} ms per batch`,
        `service CPU ${phase.cpuMicrosPerItem.toFixed(0)} µs/item`,
      ],
    });
    const rows: Row[] = [
      {
        measure: 'raw better-sqlite3, 1000 events per transaction (FULL)',
        value: ceiling,
        unit: 'events/s',
        ratios: [
          `median of before, between and after the phases: ${ceilings.map((rate) => Math.round(rate).toLocaleString('en-US')).join(' / ')}`,
        ],
      },
      ...phases.map((phase, index) => ({
        measure: `raw, the same log's ${['first sightings', 'mixed traffic', 'burst'][index]} events (${phase.through - phase.after})`,
        value: sameLog[index]!,
        unit: 'events/s',
        ratios: [
          `median of 3: ${sameLogRounds.map((round) => Math.round(round[index]!).toLocaleString('en-US')).join(' / ')}; on a store of the ${phase.after} events before them`,
        ],
      })),
      phaseRow(`ingest, first sightings (registers ${CONTACTS} visitors)`, first, 0),
      phaseRow(`ingest, mixed traffic (${mixed.items} items)`, mixed, 1),
      phaseRow(
        `ingest, one visitor's burst (${burst.items} data events, one visitor_id)`,
        burst,
        2,
      ),
    ];
    printTable(rows);
    console.log(
      `statuses: first ${JSON.stringify(first.statuses)}, mixed ${JSON.stringify(mixed.statuses)}, ` +
        `burst ${JSON.stringify(burst.statuses)}; ` +
        `429 answers: ${first.throttled + mixed.throttled + burst.throttled}; events in the store: ${events} ` +
        `(${(events / (first.items + mixed.items + burst.items)).toFixed(2)} per item)`,
    );
    const worst = Math.min(first.itemsPerSecond, mixed.itemsPerSecond) / ceiling;
    console.log(
      `target: >= ${TARGET_RATIO}x raw batched: ${worst.toFixed(2)}x ${worst >= TARGET_RATIO ? 'OK' : 'MISSED'}`,
    );
  } finally {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
