import fc from 'fast-check';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { insertRows, upsertClause } from '../../projections/shared/raw-insert';
import { RowWrites } from '../../projections/shared/row-writes';
import { recordAssignedColumns } from '../support/assigned-columns';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

/** A row of the kinds of columns the projections keep: text, bigint, integer flag, JSON. */
interface Row {
  workspace_id: string;
  id: string;
  name: string | null;
  seen_at: number | null;
  flag: number;
  doc: string;
}

const COLUMNS = ['workspace_id', 'id', 'name', 'seen_at', 'flag', 'doc'] as const;
const KEY = ['workspace_id', 'id'] as const;
const UPDATED = COLUMNS.filter((column) => column !== 'workspace_id' && column !== 'id');
const IDS = ['r0', 'r1', 'r2', 'r3', 'r4'];

/** What a batch does to a row's fold: each field changed, or kept as it is. */
type Change = {
  readonly id: number;
  readonly name?: string | null;
  readonly seenAt?: number | null;
  readonly flag?: number;
  readonly doc?: Record<string, number>;
};

const change: fc.Arbitrary<Change> = fc.record(
  {
    id: fc.integer({ min: 0, max: IDS.length - 1 }),
    name: fc.option(fc.constantFrom('a', 'b', 'c')),
    seenAt: fc.option(fc.integer({ min: 0, max: 3 })),
    flag: fc.constantFrom(0, 1),
    doc: fc.dictionary(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 2 })),
  },
  { requiredKeys: ['id'] },
);

describeOnReadStores('row writes (only the columns a fold changed)', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db;
  });
  afterAll(() => target.dispose());

  const createTable = async (name: string) => {
    const json = db.getExecutor().adapter instanceof PostgresAdapter ? sql`jsonb` : sql`text`;
    await sql`DROP TABLE IF EXISTS ${sql.id(name)}`.execute(db);
    await sql`CREATE TABLE ${sql.id(name)} (
      workspace_id text NOT NULL, id text NOT NULL, name text, seen_at bigint,
      flag integer NOT NULL, doc ${json} NOT NULL, PRIMARY KEY (workspace_id, id))`.execute(db);
    await sql`CREATE INDEX ${sql.id(`${name}_seen`)} ON ${sql.id(name)} (workspace_id, seen_at)`.execute(
      db,
    );
  };
  const rowsOf = async (table: string) => {
    const { rows } = await sql<
      Record<string, unknown>
    >`SELECT * FROM ${sql.id(table)} ORDER BY id`.execute(db);
    // Dialect-neutral: bigint as a number, JSON as its value.
    return rows.map((row): Record<string, unknown> => ({
      ...row,
      seen_at: row.seen_at === null ? null : Number(row.seen_at),
      doc: typeof row.doc === 'string' ? (JSON.parse(row.doc) as unknown) : row.doc,
    }));
  };

  /** The batch's rows, folded from the rows as loaded from `table` (one per changed id). */
  const foldBatch = async (table: string, changes: readonly Change[]) => {
    const loaded = new Map((await rowsOf(table)).map((row) => [row.id as string, row]));
    const next = new Map<string, Row>();
    for (const { id: index, ...fields } of changes) {
      const id = IDS[index]!;
      const before = next.get(id) ?? (loaded.get(id) as unknown as Row | undefined);
      next.set(id, {
        workspace_id: 'ws',
        id,
        name: fields.name !== undefined ? fields.name : (before?.name ?? null),
        seen_at: fields.seenAt !== undefined ? fields.seenAt : (before?.seen_at ?? null),
        flag: fields.flag ?? before?.flag ?? 0,
        doc: JSON.stringify(fields.doc ?? jsonOf(before?.doc) ?? {}),
      });
    }
    return next;
  };
  const jsonOf = (value: unknown) =>
    typeof value === 'string' ? (JSON.parse(value) as unknown) : value;

  it('ends every batch with the rows a full upsert of the folded rows writes, and a batch applied twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(change, { maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          await createTable('written');
          await createTable('upserted');
          for (const changes of batches) {
            const next = await foldBatch('upserted', changes);
            await db.transaction().execute(async (tx) => {
              const { rows: stored } = await sql<Row>`SELECT * FROM written`.execute(tx);
              const byId = new Map(stored.map((row) => [row.id, row]));
              for (let pass = 0; pass < 2; pass += 1) {
                const writes = new RowWrites<Row>(COLUMNS, KEY);
                for (const row of next.values()) writes.add(byId.get(row.id), row);
                await writes.flush(tx, 'written');
              }
            });
            await insertRows(
              db,
              'upserted',
              COLUMNS,
              [...next.values()],
              upsertClause(KEY, UPDATED),
            );
            expect(await rowsOf('written')).toEqual(await rowsOf('upserted'));
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 25 : 80 },
    );
  });

  it('assigns a loaded row only the columns whose values changed, an unchanged row none, and writes a row gone since whole', async () => {
    await createTable('assigned');
    const first = { workspace_id: 'ws', name: 'a', seen_at: 1, flag: 0, doc: '{"x":1}' };
    const writes = new RowWrites<Row>(COLUMNS, KEY);
    for (const id of IDS.slice(0, 4)) writes.add(undefined, { ...first, id });
    await writes.flush(db, 'assigned');
    const assigned = await recordAssignedColumns(db, dialect, 'assigned', UPDATED);
    const stored = new Map(
      (await sql<Row>`SELECT * FROM assigned`.execute(db)).rows.map((row) => [row.id, row]),
    );
    // Deleted since it was loaded: written whole, as the upsert wrote it.
    await sql`DELETE FROM assigned WHERE id = 'r3'`.execute(db);
    const next = new RowWrites<Row>(COLUMNS, KEY);
    next.add(stored.get('r3'), { ...first, id: 'r3', seen_at: 3 });
    next.add(stored.get('r0'), { ...first, id: 'r0', seen_at: 2 });
    next.add(stored.get('r1'), { ...first, id: 'r1', name: null, doc: '{"x":2}' });
    next.add(stored.get('r2'), { ...first, id: 'r2' });
    await next.flush(db, 'assigned');
    expect(await assigned.since()).toEqual(['r0:seen_at', 'r1:doc', 'r1:name']);
    expect(
      (await rowsOf('assigned')).map(({ id, name, seen_at, doc }) => [id, name, seen_at, doc]),
    ).toEqual([
      ['r0', 'a', 2, { x: 1 }],
      ['r1', null, 1, { x: 2 }],
      ['r2', 'a', 1, { x: 1 }],
      ['r3', 'a', 3, { x: 1 }],
    ]);
    await assigned.dispose();
  });
});
