import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { TableResolver } from '../../src/projection-runner/projection';
import type { ContactsReadModel } from '../contacts/contacts.table';

/**
 * The two tables of the attribute-values read model (kept by the contacts projection). Values compare bytewise in both dialects
 * (SQLite's default `BINARY`, PostgreSQL's `"C"` collation), so ties are broken in the same
 * order on both and a page cursor means the same thing everywhere.
 */
export async function createAttributeValuesTables(
  db: Kysely<ContactsReadModel>,
  tables: TableResolver<ContactsReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const bytewiseText = isPostgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('contacts_attribute_values')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('attribute', 'text', (column) => column.notNull())
    .addColumn('value', bytewiseText, (column) => column.notNull())
    .addColumn('count', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('contacts_attribute_values')}_pk`, [
      'workspace_id',
      'attribute',
      'value',
    ])
    .execute();
  // The endpoint's order: most held first, ties by value (keyset pagination walks this index).
  await db.schema
    .createIndex(`${tables('contacts_attribute_values')}_top`)
    .on('contacts_attribute_values')
    .columns(['workspace_id', 'attribute', 'count desc', 'value'])
    .execute();
  await db.schema
    .createTable('contacts_attribute_values_totals')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('attribute', 'text', (column) => column.notNull())
    .addColumn('contact_count', 'integer', (column) => column.notNull())
    .addColumn('value_count', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('contacts_attribute_values_totals')}_pk`, [
      'workspace_id',
      'attribute',
    ])
    .execute();
}

/**
 * Totals of attributes nobody holds, which builds kept at zero before such rows were deleted as
 * they reach it: a rebuild writes none, so verify found the two builds different.
 */
export async function dropTotalsOfUnheldAttributes(db: Kysely<ContactsReadModel>): Promise<void> {
  await db.deleteFrom('contacts_attribute_values_totals').where('contact_count', '<=', 0).execute();
}
