import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { DataEventSql } from '../../src/contacts/search/contact-search.sql';
import type { TableResolver } from '../../src/projection-runner/projection';
import type { LastDataEventAt } from '../../src/segments/domain/segment-membership';
import { insertRows, quoted } from '../shared/raw-insert';
import { selectByIds } from '../shared/raw-select';
import type { SegmentMembershipReadModel } from './segment-membership.tables';

type Db = Kysely<SegmentMembershipReadModel>;

const CHUNK = 500;

/** Both dialects' two-argument maximum: SQLite's scalar `max`, PostgreSQL's `GREATEST`. */
const greatest = (db: Db): string =>
  db.getExecutor().adapter instanceof PostgresAdapter ? 'GREATEST' : 'max';

/** The later of a row's stored `last_at` and the one an upsert brings. */
const keepLatest = (db: Db): RawBuilder<number> => {
  const stored = sql.ref('segment_membership_data_events.last_at');
  const incoming = sql.ref('excluded.last_at');
  return sql<number>`${sql.raw(greatest(db))}(${stored}, ${incoming})`;
};

/**
 * The membership projection's own record of data events: per contact and event name, the latest
 * `created_at` — all `has_done` / `has_not_done` (within N days) need, since the latest event is
 * the last to age out. A merge target takes over its source's events, as the data-events read
 * model does; a deleted contact's go.
 *
 * Writes are maxima, so they commute: the table is right whatever part of it a batch loaded. A
 * batch loads rows only for workspaces with a segment that reads them.
 */
export class ContactDataEvents {
  private readonly latest = new Map<string, Map<string, number>>();
  private readonly tracked = new Map<
    string,
    { workspaceId: string; contactId: string; names: Map<string, number> }
  >();
  private readonly absorbed: Array<{ workspaceId: string; into: string; from: string }> = [];
  private readonly deleted: Array<{ workspaceId: string; contactId: string }> = [];

  constructor(
    private readonly db: Db,
    private readonly keyOf: (workspaceId: string, contactId: string) => string,
    /** The table's physical name (`selectByIds` bypasses the runner's table renaming). */
    private readonly table: string,
  ) {}

  async load(workspaceId: string, contactIds: readonly string[]): Promise<void> {
    const missing = contactIds.filter((id) => !this.latest.has(this.keyOf(workspaceId, id)));
    for (let index = 0; index < missing.length; index += CHUNK) {
      const chunk = missing.slice(index, index + CHUNK);
      const rows = await selectByIds(
        this.db as Kysely<unknown>,
        this.table,
        'contact_id',
        ['contact_id', 'name', 'last_at'],
        (values) => ({
          contact_id: values[0] as string,
          name: values[1] as string,
          last_at: values[2] as number,
        }),
        workspaceId,
        chunk,
      );
      for (const id of chunk) this.latest.set(this.keyOf(workspaceId, id), new Map());
      for (const row of rows) {
        this.latest
          .get(this.keyOf(workspaceId, row.contact_id))
          ?.set(row.name, Number(row.last_at));
      }
    }
  }

  /** The contact's latest event times, as far as this batch knows them. */
  of(workspaceId: string, contactId: string): LastDataEventAt | undefined {
    return this.latest.get(this.keyOf(workspaceId, contactId));
  }

  track(workspaceId: string, contactId: string, name: string, createdAt: number): void {
    const key = this.keyOf(workspaceId, contactId);
    const known = this.latest.get(key) ?? new Map<string, number>();
    this.latest.set(key, known);
    known.set(name, Math.max(known.get(name) ?? createdAt, createdAt));
    const pending = this.tracked.get(key) ?? {
      workspaceId,
      contactId,
      names: new Map<string, number>(),
    };
    pending.names.set(name, Math.max(pending.names.get(name) ?? createdAt, createdAt));
    this.tracked.set(key, pending);
  }

  absorb(workspaceId: string, into: string, from: string): void {
    const source = this.latest.get(this.keyOf(workspaceId, from));
    const target = this.latest.get(this.keyOf(workspaceId, into));
    if (source && target) {
      for (const [name, at] of source) target.set(name, Math.max(target.get(name) ?? at, at));
    }
    this.absorbed.push({ workspaceId, into, from });
  }

  delete(workspaceId: string, contactId: string): void {
    this.latest.set(this.keyOf(workspaceId, contactId), new Map());
    this.deleted.push({ workspaceId, contactId });
  }

  /** Tracked events first, so a source's last events are there when a merge copies them. */
  async flush(): Promise<void> {
    const rows = [...this.tracked.values()].flatMap(({ workspaceId, contactId, names }) =>
      [...names].map(([name, at]) => ({
        workspace_id: workspaceId,
        contact_id: contactId,
        name,
        last_at: at,
      })),
    );
    // As SQL text (see `insertRows`): Kysely built and compiled every row of every chunk.
    await insertRows(
      this.db as Kysely<unknown>,
      this.table,
      ['workspace_id', 'contact_id', 'name', 'last_at'],
      rows,
      `ON CONFLICT ("workspace_id", "contact_id", "name") DO UPDATE SET "last_at" = ` +
        `${greatest(this.db)}(${quoted(this.table)}."last_at", excluded."last_at")`,
    );
    for (const { workspaceId, into, from } of this.absorbed) {
      await this.db
        .insertInto('segment_membership_data_events')
        .columns(['workspace_id', 'contact_id', 'name', 'last_at'])
        .expression(
          this.db
            .selectFrom('segment_membership_data_events as source')
            .select([
              'source.workspace_id',
              sql<string>`CAST(${into} AS text)`.as('contact_id'),
              'source.name',
              'source.last_at',
            ])
            .where('source.workspace_id', '=', workspaceId)
            .where('source.contact_id', '=', from),
        )
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'contact_id', 'name']).doUpdateSet({
            last_at: keepLatest(this.db),
          }),
        )
        .execute();
    }
    for (const { workspaceId, contactId } of this.deleted) {
      await this.db
        .deleteFrom('segment_membership_data_events')
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', contactId)
        .execute();
    }
  }
}

/** `has_done` over the projection's table (`table`: its physical name). */
export const dataEventsSql =
  (table: string): DataEventSql =>
  ({ name, after }, { contactId, workspaceId }) =>
    sql<SqlBool>`EXISTS (SELECT 1 FROM ${sql.table(table)} d WHERE d.workspace_id = ${workspaceId} AND d.contact_id = ${contactId} AND d.name = ${name}${after === undefined ? sql`` : sql` AND d.last_at > ${after}`})`;

/** The latest `created_at` of event `name` for contact `c.id`, or NULL (for deadlines). */
export const lastDataEventSql = (
  tables: TableResolver<SegmentMembershipReadModel>,
  name: string,
): RawBuilder<number | null> =>
  sql<
    number | null
  >`(SELECT d.last_at FROM ${sql.table(tables('segment_membership_data_events'))} d WHERE d.workspace_id = c.workspace_id AND d.contact_id = c.id AND d.name = ${name})`;

/** Creates the table (its own migration, so the other tables' schema is untouched). */
export async function createDataEventsTable(
  db: Kysely<SegmentMembershipReadModel>,
  tables: TableResolver<SegmentMembershipReadModel>,
): Promise<void> {
  await db.schema
    .createTable('segment_membership_data_events')
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('last_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${tables('segment_membership_data_events')}_pk`, [
      'workspace_id',
      'contact_id',
      'name',
    ])
    .execute();
}
