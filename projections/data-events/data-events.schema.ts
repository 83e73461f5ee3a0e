import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { TableResolver } from '../../src/projection-runner/projection';
import type { DataEventsReadModel } from './data-events.table';

/** Listing is per contact, newest first, `event_id` breaking ties for keyset cursors. */
export async function createDataEventsTable(
  db: Kysely<DataEventsReadModel>,
  tables: TableResolver<DataEventsReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('data_events')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('event_id', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.notNull())
    .addColumn('source_contact_id', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('metadata', isPostgres ? sql`jsonb` : sql`text`, (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('data_events')}_pk`, ['workspace_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex(`${tables('data_events')}_contact`)
    .on('data_events')
    .columns(['workspace_id', 'contact_id', 'created_at', 'event_id'])
    .execute();
}

/** Reported summaries (`POST /events/summaries`), read per contact. */
export async function createDataEventSummariesTable(
  db: Kysely<DataEventsReadModel>,
  tables: TableResolver<DataEventsReadModel>,
): Promise<void> {
  await db.schema
    .createTable('data_events_summaries')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('event_id', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('count', 'bigint', (column) => column.notNull())
    .addColumn('first_at', 'bigint', (column) => column.notNull())
    .addColumn('last_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('data_events_summaries')}_pk`, ['workspace_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex(`${tables('data_events_summaries')}_contact`)
    .on('data_events_summaries')
    .columns(['workspace_id', 'contact_id'])
    .execute();
}
