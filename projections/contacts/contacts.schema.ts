import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { createContactSearchIndexes } from '../../src/contacts/search/contact-search.indexes';
import type { TableResolver } from '../../src/projection-runner/projection';
import type { ContactsReadModel } from './contacts.table';

/**
 * The contacts table, with the indexes search needs at a million contacts (see
 * `createContactSearchIndexes`) and the projection's own lookups.
 */
export async function createContactsTable(
  db: Kysely<ContactsReadModel>,
  tables: TableResolver<ContactsReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await withContactColumns(db.schema.createTable('contacts'), isPostgres)
    .addPrimaryKeyConstraint(`${tables('contacts')}_pk`, ['workspace_id', 'id'])
    .execute();
  const index = (suffix: string, columns: readonly string[]) =>
    db.schema
      .createIndex(`${tables('contacts')}_${suffix}`)
      .on('contacts')
      .columns([...columns])
      .execute();
  await index('visitor_user_id', ['workspace_id', 'visitor_user_id']);
  await createContactSearchIndexes(db, tables('contacts'), isPostgres ? 'postgres' : 'sqlite');
}

/**
 * Builds made before the projection loaded its rows by primary key had an index on `id` alone:
 * one more B-tree for every row write, read by nothing now.
 */
export async function dropLookupByIdAlone(
  db: Kysely<ContactsReadModel>,
  tables: TableResolver<ContactsReadModel>,
): Promise<void> {
  await db.schema
    .dropIndex(`${tables('contacts')}_id`)
    .ifExists()
    .execute();
}

/**
 * `contacts_external_id_holders`, keyed by value. Positions compare bytewise in both dialects
 * (PostgreSQL's `"C"` collation), as their zero-padded digits are meant to.
 */
export async function createExternalIdHoldersTable(
  db: Kysely<ContactsReadModel>,
  tables: TableResolver<ContactsReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('contacts_external_id_holders')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('external_id', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.notNull())
    .addColumn('position', isPostgres ? sql`text collate "C"` : sql`text`, (column) =>
      column.notNull(),
    )
    .addPrimaryKeyConstraint(`${tables('contacts_external_id_holders')}_pk`, [
      'workspace_id',
      'external_id',
    ])
    .execute();
}

/**
 * Every column of `ContactsTable`, on a table being created. Segment membership keeps a copy of
 * the contact rows with the same columns, so rules compile to SQL over either table.
 */
export function withContactColumns<Name extends string>(
  table: CreateTableBuilder<Name>,
  isPostgres: boolean,
): CreateTableBuilder<Name, string> {
  const json = isPostgres ? sql`jsonb` : sql`text`;
  return table
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('id', 'text', (column) => column.notNull())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('merged_into', 'text')
    .addColumn('archived', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('external_id', 'text')
    .addColumn('email', 'text')
    .addColumn('email_domain', 'text')
    .addColumn('phone', 'text')
    .addColumn('name', 'text')
    .addColumn('avatar', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('visitor_user_id', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('signed_up_at', 'bigint')
    .addColumn('last_seen_at', 'bigint')
    .addColumn('last_replied_at', 'bigint')
    .addColumn('last_contacted_at', 'bigint')
    .addColumn('unsubscribed_from_emails', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('has_hard_bounced', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('marked_email_as_spam', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('language_override', 'text')
    .addColumn('browser', 'text')
    .addColumn('browser_version', 'text')
    .addColumn('browser_language', 'text')
    .addColumn('os', 'text')
    .addColumn('location_country', 'text')
    .addColumn('location_region', 'text')
    .addColumn('location_city', 'text')
    .addColumn('referrer', 'text')
    .addColumn('utm_campaign', 'text')
    .addColumn('utm_content', 'text')
    .addColumn('utm_medium', 'text')
    .addColumn('utm_source', 'text')
    .addColumn('utm_term', 'text')
    .addColumn('custom_attributes', json, (column) => column.notNull())
    .addColumn('merge_history', json, (column) => column.notNull())
    .addColumn('field_written_at', json, (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull());
}
