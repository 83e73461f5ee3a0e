/**
 * The raw append ceiling every write benchmark compares against: better-sqlite3 driven directly
 * on the embedded store's own schema (same table, same unique index), WAL, `synchronous=FULL`,
 * a fixed number of events per transaction, random stream ids over a fixed set.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_EVENT_STORE_SCHEMA } from '../src/infrastructure/event-store/sqlite/sqlite-event-store.schema';
import type { NewEvent } from '../src/shared/event-store/event-store.port';

export const BENCH_STREAMS = 10_000;

/** A ~440-byte contact event, the size the published reference figures use. */
export function sampleEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: 'ContactUpdated',
    data: {
      contactId: randomUUID().replace(/-/g, '').slice(0, 24),
      workspaceId: 'bench',
      changes: {
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: '+44 20 7946 0958',
        city: 'London',
      },
      custom_attributes: { plan: 'pro', seats: 12, trial: false },
      updated_at: 1_700_000_000,
    },
    metadata: {
      workspaceId: 'bench',
      occurredAt: 1_700_000_000_000,
      schemaVersion: 1,
      correlationId: randomUUID(),
    },
  };
}

export const randomBenchStream = (): string =>
  `contact-bench.${Math.floor(Math.random() * BENCH_STREAMS)}`;

export function benchDir(prefix = 'bench-store-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Events/s of `count` raw inserts, `perTransaction` per durable commit. */
export function rawAppends(count: number, perTransaction: number): number {
  const dir = benchDir();
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SQLITE_EVENT_STORE_SCHEMA);
  const revisions = new Map<string, number>();
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const writeBatch = db.transaction((events: NewEvent[]) => {
    for (const event of events) {
      const stream = randomBenchStream();
      const revision = (revisions.get(stream) ?? -1) + 1;
      revisions.set(stream, revision);
      insert.run(
        stream,
        revision,
        event.id,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        Date.now(),
      );
    }
  });
  const events = Array.from({ length: count }, sampleEvent);
  const started = performance.now();
  for (let index = 0; index < count; index += perTransaction)
    writeBatch(events.slice(index, index + perTransaction));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}
