import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { TableResolver } from '../../src/projection-runner/projection';
import type { AttributeValuesReadModel } from './attribute-values.table';

/**
 * The three tables of the attribute-values read model. Values compare bytewise in both dialects
 * (SQLite's default `BINARY`, PostgreSQL's `"C"` collation), so ties are broken in the same
 * order on both and a page cursor means the same thing everywhere.
 */
export async function createAttributeValuesTables(
  db: Kysely<AttributeValuesReadModel>,
  tables: TableResolver<AttributeValuesReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const bytewiseText = isPostgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('attribute_values')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('attribute', 'text', (column) => column.notNull())
    .addColumn('value', bytewiseText, (column) => column.notNull())
    .addColumn('count', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('attribute_values')}_pk`, [
      'workspace_id',
      'attribute',
      'value',
    ])
    .execute();
  // The endpoint's order: most held first, ties by value (keyset pagination walks this index).
  await db.schema
    .createIndex(`${tables('attribute_values')}_top`)
    .on('attribute_values')
    .columns(['workspace_id', 'attribute', 'count desc', 'value'])
    .execute();
  await db.schema
    .createTable('attribute_values_totals')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('attribute', 'text', (column) => column.notNull())
    .addColumn('contact_count', 'integer', (column) => column.notNull())
    .addColumn('value_count', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('attribute_values_totals')}_pk`, [
      'workspace_id',
      'attribute',
    ])
    .execute();
  await db.schema
    .createTable('attribute_values_contacts')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.notNull())
    .addColumn('state', 'text')
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('attribute_values_contacts')}_pk`, [
      'workspace_id',
      'contact_id',
    ])
    .execute();
}
