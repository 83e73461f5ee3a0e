/**
 * The contacts projection (which also keeps the attribute value counts) in isolation (`ts-node --transpile-only
 * bench/projections.bench.ts`): BENCH_EVENTS (default 50,000) contact events — half creations,
 * half updates and sightings of those contacts — applied through `apply` in batches of 500 into a
 * fresh SQLite read store, without the runner, so only the projection's own cost is timed. The
 * process's CPU time per event is the steadier figure on a shared machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactsProjection } from '../projections/contacts/contacts.projection';
import { openReadStore } from '../src/infrastructure/read-store/open-read-store';
import type { AnyProjection } from '../src/projection-runner/projection';
import type { RecordedEvent } from '../src/shared/event-store/event-store.port';
import { contactStreamId } from '../src/shared/stream-names';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const BATCH = 500;
const WORKSPACE = 'bench';
const T0 = 1_700_000_000;
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const BROWSERS = ['firefox', 'chrome', 'safari', 'edge'];

const hexId = (n: number): string => n.toString(16).padStart(24, '0');

function log(): RecordedEvent[] {
  const contacts = Math.floor(EVENTS / 2);
  const revisions = new Array<number>(contacts).fill(-1);
  const events: RecordedEvent[] = [];
  const push = (n: number, type: string, data: Record<string, unknown>): void => {
    revisions[n]! += 1;
    const contactId = hexId(n);
    events.push({
      id: randomUUID(),
      type,
      data: { contactId, workspaceId: WORKSPACE, ...data },
      metadata: { workspaceId: WORKSPACE, occurredAt: T0 * 1000 },
      streamId: contactStreamId(WORKSPACE, contactId),
      revision: BigInt(revisions[n]!),
      position: BigInt(events.length),
      recordedAt: new Date(),
    });
  };
  for (let n = 0; n < contacts; n += 1) {
    push(n, 'UserCreated', {
      createdAt: T0 + n,
      attributes: {
        email: `user${n}@d${n % 7}.example.com`,
        name: `User ${n}`,
        signed_up_at: T0 - (n % 40) * 86_400,
        custom_attributes: { plan: PLANS[n % PLANS.length]!, score: n % 100 },
      },
    });
  }
  // Deterministic spread over the created contacts, so batches touch many rows.
  for (let index = 0; index < EVENTS - contacts; index += 1) {
    const n = (index * 7919) % contacts;
    if (index % 2 === 0) {
      push(n, 'ContactUpdated', {
        updatedAt: T0 + contacts + index,
        changes: { name: `User ${n} ${index}`, custom_attributes: { score: index % 100 } },
      });
    } else {
      push(n, 'ContactSeen', {
        seenAt: T0 + contacts + index,
        context: { browser: BROWSERS[index % BROWSERS.length]!, os: 'linux' },
      });
    }
  }
  return events;
}

async function run(projection: AnyProjection, events: readonly RecordedEvent[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'projection-bench-'));
  const store = await openReadStore({ kind: 'sqlite', file: join(dir, 'read.sqlite') });
  const tables = (logical: string): string => logical;
  for (const migration of projection.migrations) await migration.up(store.db, tables);
  const half = events.length / 2;
  const phases: number[] = [];
  const cpu = process.cpuUsage();
  let started = performance.now();
  for (let index = 0; index < events.length; index += BATCH) {
    if (index === half) {
      phases.push(performance.now() - started);
      started = performance.now();
    }
    const batch = events.slice(index, index + BATCH);
    await store.db.transaction().execute((tx) => projection.apply(batch, tx, tables));
  }
  phases.push(performance.now() - started);
  const { user, system } = process.cpuUsage(cpu);
  const total = phases.reduce((sum, ms) => sum + ms, 0);
  const rate = (count: number, ms: number): string =>
    `${Math.round((count / ms) * 1000).toLocaleString('en-US')} events/s`;
  console.log(
    `${projection.name.padEnd(18)} ${rate(events.length, total).padStart(18)}` +
      `   creations ${rate(half, phases[0]!)}   updates ${rate(half, phases[1]!)}` +
      `   CPU ${((user + system) / events.length).toFixed(1)} µs/event`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const events = log();
  await run(contactsProjection, events);
}

void main();
