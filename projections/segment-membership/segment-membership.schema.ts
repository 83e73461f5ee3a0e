import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { TableResolver } from '../../src/projection-runner/projection';
import { withContactColumns } from '../contacts/contacts.schema';
import type { SegmentMembershipReadModel } from './segment-membership.tables';

type Db = Kysely<SegmentMembershipReadModel>;

export async function createSegmentMembershipTables(
  db: Db,
  tables: TableResolver<SegmentMembershipReadModel>,
): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // On SQLite, a table whose primary key is how it is read and written is stored in that key's
  // B-tree alone: every insert then writes one tree instead of a rowid table plus a key index.
  // PostgreSQL keeps heap tables (its indexes point into the heap either way).
  const clustered = <Name extends string>(table: CreateTableBuilder<Name, string>) =>
    isPostgres ? table : table.modifyEnd(sql`without rowid`);
  const pk = (table: keyof SegmentMembershipReadModel) => `${tables(table)}_pk`;
  const index = (
    table: keyof SegmentMembershipReadModel,
    suffix: string,
    columns: readonly string[],
  ) =>
    db.schema
      .createIndex(`${tables(table)}_${suffix}`)
      .on(table)
      .columns([...columns])
      .execute();

  await db.schema
    .createTable('segment_membership_segments')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('segment_id', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('person_type', 'text', (column) => column.notNull())
    .addColumn('rule', 'text', (column) => column.notNull())
    .addColumn('attribute_types', 'text', (column) => column.notNull())
    .addColumn('time_zone', 'text', (column) => column.notNull())
    .addColumn('rule_version', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('member_count', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('history_count', 'bigint', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint(pk('segment_membership_segments'), ['workspace_id', 'segment_id'])
    .execute();

  await clustered(
    db.schema
      .createTable('segment_membership_changes')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('contact_id', 'text', (column) => column.notNull())
      .addColumn('position', 'text', (column) => column.notNull())
      .addColumn('seq', 'integer', (column) => column.notNull())
      .addColumn('effective_at', 'bigint', (column) => column.notNull())
      .addColumn('cause', 'text', (column) => column.notNull())
      .addColumn('cause_event_id', 'text')
      .addColumn('cause_event_type', 'text')
      .addColumn('entered', 'text', (column) => column.notNull())
      .addColumn('exited', 'text', (column) => column.notNull())
      // A contact's changes in order: as-of membership and a contact's history in a segment.
      .addPrimaryKeyConstraint(pk('segment_membership_changes'), [
        'workspace_id',
        'contact_id',
        'position',
        'seq',
      ]),
  ).execute();
  // A segment's history in order: the workspace's changes of a span, filtered by segment.
  await index('segment_membership_changes', 'log', [
    'workspace_id',
    'position',
    'seq',
    'contact_id',
  ]);

  await clustered(
    db.schema
      .createTable('segment_membership_spans')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('segment_id', 'text', (column) => column.notNull())
      .addColumn('bucket', 'text', (column) => column.notNull())
      .addColumn('first_position', 'text', (column) => column.notNull())
      .addColumn('last_position', 'text', (column) => column.notNull())
      // The row a change widens, one per stretch and segment: a batch's rows are next to each
      // other (by segment, each segment's last row sat on a page of its own, all rewritten by
      // every batch).
      .addPrimaryKeyConstraint(pk('segment_membership_spans'), [
        'workspace_id',
        'bucket',
        'segment_id',
      ]),
  ).execute();
  // A segment's spans in log order: how a history page reads them. A batch only moves the last
  // positions of the spans it widens, which this does not hold.
  await db.schema
    .createIndex(`${tables('segment_membership_spans')}_segment`)
    .on('segment_membership_spans')
    .columns(['workspace_id', 'segment_id', 'first_position'])
    .unique()
    .execute();

  await clustered(
    db.schema
      .createTable('segment_membership_deadlines')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('contact_id', 'text', (column) => column.notNull())
      .addColumn('at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint(pk('segment_membership_deadlines'), ['workspace_id', 'contact_id']),
  ).execute();
  // Due deadlines of a workspace. The scheduler's scans across workspaces run only when a
  // deadline is due, and a rule change's delete by segment is rare: neither earns an index
  // that every membership change would have to maintain.
  await index('segment_membership_deadlines', 'due', ['workspace_id', 'at']);

  await db.schema
    .createTable('segment_membership_clocks')
    .addColumn('workspace_id', 'text', (column) => column.primaryKey())
    .addColumn('now', 'bigint', (column) => column.notNull())
    .execute();

  await clustered(
    db.schema
      .createTable('segment_membership_contact_segments')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('contact_id', 'text', (column) => column.notNull())
      .addColumn('segment_ids', 'text', (column) => column.notNull())
      .addPrimaryKeyConstraint(pk('segment_membership_contact_segments'), [
        'workspace_id',
        'contact_id',
      ]),
  ).execute();

  await withContactColumns(db.schema.createTable('segment_membership_contacts'), isPostgres)
    .addPrimaryKeyConstraint(pk('segment_membership_contacts'), ['workspace_id', 'id'])
    .execute();
}

/**
 * What dating a late event's changes at event time reads: the rules each segment has had
 * (`SegmentRuleVersionsTable`) and each contact's latest event time.
 */
export async function createLateEventTables(
  db: Db,
  tables: TableResolver<SegmentMembershipReadModel>,
): Promise<void> {
  await db.schema
    .createTable('segment_membership_rule_versions')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('segment_id', 'text', (column) => column.notNull())
    .addColumn('rule_version', 'integer', (column) => column.notNull())
    .addColumn('person_type', 'text', (column) => column.notNull())
    .addColumn('rule', 'text', (column) => column.notNull())
    .addColumn('attribute_types', 'text', (column) => column.notNull())
    .addColumn('time_zone', 'text', (column) => column.notNull())
    .addColumn('in_force_from', 'bigint', (column) => column.notNull())
    .addColumn('in_force_until', 'bigint')
    .addColumn('started_by_event_id', 'text', (column) => column.notNull())
    .addColumn('started_by_event_type', 'text', (column) => column.notNull())
    .addColumn('started_by_position', 'text', (column) => column.notNull())
    .addColumn('ended_by_event_id', 'text')
    .addColumn('ended_by_event_type', 'text')
    .addPrimaryKeyConstraint(`${tables('segment_membership_rule_versions')}_pk`, [
      'workspace_id',
      'segment_id',
      'rule_version',
    ])
    .execute();
  await db.schema
    .alterTable('segment_membership_contacts')
    .addColumn('latest_event_at', 'bigint')
    .execute();
}
