/**
 * The least any implementation of `POST /messenger/events` must write to its read models for
 * bench:ingest's traffic, as raw better-sqlite3 statements on the service's own read-model schemas
 * (the contacts table with the indexes search needs, and the data events table): a visitor's row
 * when it is first seen, `last_seen_at` when a sighting is not throttled, a data event's row, a
 * renamed contact's `name`, a visitor turned lead's `role`. No attribute value counts, no segment
 * membership, no summaries, no history: a floor, generous to the implementation it bounds. The
 * `service` scope adds the service's other read models at their least
 * (`stack-floor.service-read-models.ts`), on the tables of all its projections.
 *
 * Used by `stack-floor.server.ts` on its own thread, and in a worker thread started by
 * `startReadModelWorker` (the second core the machine has).
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createContactsTable } from '../projections/contacts/contacts.schema';
import { createDataEventsTable } from '../projections/data-events/data-events.schema';
import type { ContactsReadModel } from '../projections/contacts/contacts.table';
import type { DataEventsReadModel } from '../projections/data-events/data-events.table';
import {
  createServiceReadModelTables,
  MembershipCopy,
  ServiceReadModels,
  type SightingContext,
} from './stack-floor.service-read-models';

/** One read-model write, as plain data that can cross to a worker. */
export type ReadModelWrite =
  | readonly [
      'visitor',
      contactId: string,
      visitorId: string,
      at: number,
      context?: SightingContext,
    ]
  | readonly ['seen', contactId: string, at: number]
  | readonly [
      'data_event',
      contactId: string,
      eventId: string,
      name: string,
      at: number,
      metadata: string,
    ]
  | readonly ['name', contactId: string, name: string, at: number]
  | readonly ['lead', contactId: string, at: number];

const WORKSPACE = 'bench';

/**
 * Which read models a writer keeps: `least`, the contacts row and data events row alone;
 * `service`, also the service's other read models at their least (`stack-floor.service-read-models.ts`);
 * `service-membership`, also the copy segment membership keeps with no segments (`MembershipCopy`).
 */
export type ReadModelScope = 'least' | 'service' | 'service-membership';

/** Creates the read-model tables with the service's own migrations' code. */
export async function createReadModelTables(
  file: string,
  scope: ReadModelScope = 'least',
): Promise<void> {
  const database = openReadDatabase(file);
  if (scope !== 'least') {
    await createServiceReadModelTables(database);
    database.close();
    return;
  }
  const dialect = new SqliteDialect({ database });
  // The floor's tables carry their plain names.
  const plain = (name: string) => name;
  await createContactsTable(new Kysely<ContactsReadModel>({ dialect }), plain);
  await createDataEventsTable(new Kysely<DataEventsReadModel>({ dialect }), plain);
  database.close();
}

function openReadDatabase(file: string): Database.Database {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  return database;
}

/** Applies a batch's writes in one transaction, as the service's read store does. */
export function readModelWriter(
  file: string,
  scope: ReadModelScope = 'least',
): (writes: readonly ReadModelWrite[]) => void {
  const db = openReadDatabase(file);
  const others = scope === 'least' ? undefined : new ServiceReadModels(db, WORKSPACE);
  const membership = scope === 'service-membership' ? new MembershipCopy(db, WORKSPACE) : undefined;
  const columns = (
    db.prepare("SELECT name FROM pragma_table_info('contacts')").all() as Array<{ name: string }>
  ).map((column) => column.name);
  const insertVisitor = db.prepare(
    `INSERT INTO contacts (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
  );
  const seen = db.prepare('UPDATE contacts SET last_seen_at = ? WHERE workspace_id = ? AND id = ?');
  const named = db.prepare('UPDATE contacts SET name = ? WHERE workspace_id = ? AND id = ?');
  const lead = db.prepare(
    "UPDATE contacts SET role = 'lead' WHERE workspace_id = ? AND id = ? AND role = 'visitor'",
  );
  const dataEvent = db.prepare(
    'INSERT INTO data_events (workspace_id, event_id, contact_id, source_contact_id, name, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const emptyRow = Object.fromEntries(columns.map((column) => [column, null]));
  return db.transaction((writes: readonly ReadModelWrite[]) => {
    for (const write of writes) {
      switch (write[0]) {
        case 'visitor': {
          const [, contactId, visitorId, at, context] = write;
          others?.registered(contactId, at, context);
          const row = {
            ...emptyRow,
            workspace_id: WORKSPACE,
            id: contactId,
            role: 'visitor',
            status: 'active',
            archived: 0,
            visitor_user_id: visitorId,
            created_at: at,
            updated_at: at,
            last_seen_at: at,
            unsubscribed_from_emails: 0,
            has_hard_bounced: 0,
            marked_email_as_spam: 0,
            custom_attributes: '{}',
            tags: '[]',
            merge_history: '[]',
            field_written_at: '{}',
            revision: 0,
          };
          insertVisitor.run(row);
          membership?.registered(row, at);
          break;
        }
        case 'seen':
          seen.run(write[2], WORKSPACE, write[1]);
          others?.seen(write[1], write[2]);
          membership?.seen(write[1], write[2]);
          break;
        case 'data_event': {
          const [, contactId, eventId, name, at, metadata] = write;
          dataEvent.run(WORKSPACE, eventId, contactId, contactId, name, at, metadata);
          membership?.tracked(contactId, name, at);
          break;
        }
        case 'name':
          named.run(write[2], WORKSPACE, write[1]);
          others?.renamed(write[1], write[2], write[3]);
          membership?.renamed(write[1], write[2], write[3]);
          break;
        case 'lead':
          lead.run(WORKSPACE, write[1]);
          others?.conversationStarted(write[1], write[2]);
          membership?.becameLead(write[1], write[2]);
          break;
      }
    }
    others?.flush();
    membership?.flush();
  });
}

/**
 * CPU time this thread has run, in microseconds (Linux: the scheduler's count for the calling
 * thread, which a synchronous read from a worker is made on).
 */
export function threadCpuMicros(): number {
  const [nanoseconds] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
  return Number(nanoseconds) / 1000;
}

/**
 * A worker thread that applies posted batches with `readModelWriter`; `caughtUp` resolves once it
 * has applied every batch posted so far, `cpuMicros` with the CPU time the worker has run.
 */
export function startReadModelWorker(
  file: string,
  scope: ReadModelScope = 'least',
): {
  readonly post: (writes: readonly ReadModelWrite[]) => void;
  readonly caughtUp: () => Promise<void>;
  readonly cpuMicros: () => Promise<number>;
} {
  const worker = new Worker(
    `require('ts-node/register/transpile-only'); require(${JSON.stringify(__filename)});`,
    { eval: true, workerData: { file, scope } },
  );
  worker.unref();
  let posted = 0;
  let applied = 0;
  let waiting: Array<() => void> = [];
  let cpuAsked: Array<(micros: number) => void> = [];
  worker.on('message', (message: 'applied' | { readonly cpuMicros: number }) => {
    if (message !== 'applied') {
      for (const resolve of cpuAsked) resolve(message.cpuMicros);
      cpuAsked = [];
      return;
    }
    applied += 1;
    if (applied === posted) {
      for (const resolve of waiting) resolve();
      waiting = [];
    }
  });
  return {
    post: (writes) => {
      posted += 1;
      worker.postMessage(writes);
    },
    caughtUp: () =>
      applied === posted ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve)),
    cpuMicros: () =>
      new Promise((resolve) => {
        cpuAsked.push(resolve);
        worker.postMessage('cpu');
      }),
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { file, scope } = workerData as { file: string; scope: ReadModelScope };
  const write = readModelWriter(file, scope);
  port.on('message', (message: ReadModelWrite[] | 'cpu') => {
    if (message === 'cpu') {
      port.postMessage({ cpuMicros: threadCpuMicros() });
      return;
    }
    write(message);
    port.postMessage('applied');
  });
}
