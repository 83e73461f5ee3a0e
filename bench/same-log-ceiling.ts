/**
 * The raw append ceiling of the very log a service run wrote: its events (stream ids, types, data
 * and metadata as stored) appended again with better-sqlite3 directly, on the embedded store's
 * schema, WAL, `synchronous=FULL`, 1000 events per transaction. A phase's events are timed on a
 * store already holding every event written before that phase (appended untimed), so the index
 * they grow is the size the service's was. `rawAppends` measures a fresh store of short stream
 * ids; this one measures what the same driver does under the service's own conditions.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  toRecordedEvent,
  type EventRow,
} from '../src/infrastructure/event-store/sqlite/recent-events';
import { SQLITE_EVENT_STORE_SCHEMA } from '../src/infrastructure/event-store/sqlite/sqlite-event-store.schema';
import type { RecordedEvent } from '../src/shared/event-store/event-store.port';
import { benchDir } from './raw-append-ceiling';

const PER_TRANSACTION = 1000;

/** A phase of the run: the log's positions from `after` (exclusive) to `through` (inclusive). */
export interface LogPhase {
  readonly after: number;
  readonly through: number;
}

/** The last position written by items whose ids start with each prefix, in the run's order. */
export function phasesOfLog(file: string, itemIdPrefixes: readonly string[]): LogPhase[] {
  const db = new Database(file, { readonly: true });
  try {
    const lastOf = db.prepare(
      "SELECT MAX(position) AS last FROM events WHERE json_extract(metadata, '$.causationId') LIKE ?",
    );
    let after = 0;
    return itemIdPrefixes.map((prefix) => {
      const { last } = lastOf.get(`${prefix}%`) as { last: number | null };
      const phase = { after, through: last ?? after };
      after = phase.through;
      return phase;
    });
  } finally {
    db.close();
  }
}

function readLog(file: string, through: number): RecordedEvent[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT * FROM events WHERE position <= ? ORDER BY position')
      .all(through) as EventRow[];
    return rows.map(toRecordedEvent);
  } finally {
    db.close();
  }
}

/** Events/s of appending each phase's events raw, each on a store holding the events before it. */
export function sameLogCeiling(file: string, phases: readonly LogPhase[]): number[] {
  const log = readLog(file, Math.max(0, ...phases.map((phase) => phase.through)));
  const dir = benchDir('bench-same-log-');
  try {
    return phases.map((phase, index) => {
      const db = new Database(join(dir, `phase-${index}.sqlite`));
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.exec(SQLITE_EVENT_STORE_SCHEMA);
        const insert = db.prepare(
          'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        const appendAll = db.transaction((events: readonly RecordedEvent[]) => {
          for (const event of events)
            insert.run(
              event.streamId,
              event.revision,
              event.id,
              event.type,
              JSON.stringify(event.data),
              JSON.stringify(event.metadata),
              Date.now(),
            );
        });
        const appendInTransactions = (events: readonly RecordedEvent[]) => {
          for (let start = 0; start < events.length; start += PER_TRANSACTION)
            appendAll(events.slice(start, start + PER_TRANSACTION));
        };
        appendInTransactions(log.filter((event) => event.position <= BigInt(phase.after)));
        const timed = log.filter(
          (event) =>
            event.position > BigInt(phase.after) && event.position <= BigInt(phase.through),
        );
        const started = performance.now();
        appendInTransactions(timed);
        return timed.length / ((performance.now() - started) / 1000);
      } finally {
        db.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
