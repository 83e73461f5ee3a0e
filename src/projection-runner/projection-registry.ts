import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import type { ReadStore } from '../infrastructure/read-store/read-store';
import { TableRenamePlugin } from './table-rename.plugin';
import type { AnyProjection, TableResolver } from './projection';

/** One physical incarnation of a projection version: its tables and its checkpoint. */
export interface ProjectionBuild {
  readonly version: number;
  /** `v<version>` or `v<version>_b`: the suffix of its tables; alternates so a rebuild of the same version gets fresh tables. */
  readonly id: string;
  /** Physical table names by logical name. */
  readonly tables: Readonly<Record<string, string>>;
}

export interface RegistryEntry {
  readonly name: string;
  /** The build queries read. */
  readonly active: ProjectionBuild;
  /** A build being rebuilt from position 0 while `active` serves. */
  readonly pending: ProjectionBuild | undefined;
}

interface RegistryTable {
  name: string;
  active_version: number;
  active_build: string;
  active_tables: string;
  pending_version: number | null;
  pending_build: string | null;
  pending_tables: string | null;
  state: string;
  updated_at: string;
}

interface CheckpointTable {
  projection: string;
  build: string;
  version: number;
  /** Decimal text: positions are bigint and must survive both dialects unchanged. */
  position: string;
  updated_at: string;
}

interface SchemaMigrationTable {
  projection: string;
  build: string;
  migration: string;
  applied_at: string;
}

/** A build replaced by a switch, kept until no reader can still be using its tables. */
interface RetiredBuildTable {
  projection: string;
  build: string;
  version: number;
  tables: string;
  /** ISO timestamp. */
  drop_after: string;
}

export interface RunnerTables {
  projection_registry: RegistryTable;
  projection_checkpoints: CheckpointTable;
  projection_schema_migrations: SchemaMigrationTable;
  projection_retired_builds: RetiredBuildTable;
}

const RUNNER_MIGRATIONS: Record<string, Migration> = {
  '0001_registry_and_checkpoints': {
    async up(db) {
      await db.schema
        .createTable('projection_registry')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('active_version', 'integer', (c) => c.notNull())
        .addColumn('active_build', 'text', (c) => c.notNull())
        .addColumn('active_tables', 'text', (c) => c.notNull())
        .addColumn('pending_version', 'integer')
        .addColumn('pending_build', 'text')
        .addColumn('pending_tables', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('projection_checkpoints')
        .addColumn('projection', 'text', (c) => c.notNull())
        .addColumn('build', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('position', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('projection_checkpoints_pk', ['projection', 'build'])
        .execute();
      await db.schema
        .createTable('projection_schema_migrations')
        .addColumn('projection', 'text', (c) => c.notNull())
        .addColumn('build', 'text', (c) => c.notNull())
        .addColumn('migration', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('projection_schema_migrations_pk', [
          'projection',
          'build',
          'migration',
        ])
        .execute();
    },
  },
  '0002_retired_builds': {
    async up(db) {
      await db.schema
        .createTable('projection_retired_builds')
        .addColumn('projection', 'text', (c) => c.notNull())
        .addColumn('build', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tables', 'text', (c) => c.notNull())
        .addColumn('drop_after', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('projection_retired_builds_pk', ['projection', 'build'])
        .execute();
    },
  },
};

interface RunnerMigrationTables {
  projection_runner_migrations: { name: string; timestamp: string };
}

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/**
 * The read store's role may not create tables the runner has to create (PostgreSQL: it lacks
 * CREATE on the schema, as a role the schema's owner granted only the tables' rows has): no
 * retry helps until it is granted.
 */
export class ReadStorePrivilegeMissing extends Error {
  override readonly name = 'ReadStorePrivilegeMissing';
  constructor(role: string, schema: string, purpose: string) {
    super(`role ${role} lacks CREATE on schema ${schema}, needed ${purpose}`);
  }
}

/**
 * The runner's own tables: which build of each projection is active (the read alias), builds in
 * progress, checkpoints and applied projection migrations.
 */
export class ProjectionRegistry {
  readonly db: Kysely<RunnerTables>;

  constructor(
    private readonly store: ReadStore,
    private readonly now: () => Date,
  ) {
    this.db = store.db as Kysely<RunnerTables>;
  }

  /**
   * Applies the runner's migrations not yet applied, in one transaction (under an advisory lock on
   * PostgreSQL, so instances starting together apply each once). The bookkeeping table has the
   * shape Kysely's Migrator gave it, whose bookkeeping it replaces: the Migrator's existence check
   * introspects every schema of the database and failed when another schema's table was dropped
   * meanwhile (tests, other services sharing the database). Once every migration is applied it
   * only reads: a role that may not create tables starts on tables the schema's owner made.
   */
  async migrate(): Promise<void> {
    if (await this.runnerMigrationsApplied()) return;
    await this.requireCreatePrivilege("to create the projection runner's tables");
    await this.store.db.transaction().execute(async (tx) => {
      if (this.store.dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(hashtext('projection_runner_migrations'))`.execute(
          tx,
        );
      await sql`CREATE TABLE IF NOT EXISTS projection_runner_migrations (
        name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(tx);
      const applied = await this.appliedRunnerMigrations(tx);
      for (const name of Object.keys(RUNNER_MIGRATIONS).sort()) {
        if (applied.has(name)) continue;
        await RUNNER_MIGRATIONS[name]!.up(tx);
        await (tx as unknown as Kysely<RunnerMigrationTables>)
          .insertInto('projection_runner_migrations')
          .values({ name, timestamp: this.now().toISOString() })
          .execute();
      }
    });
  }

  /** Read without creating anything (`CREATE TABLE IF NOT EXISTS` needs CREATE on PostgreSQL). */
  private async runnerMigrationsApplied(): Promise<boolean> {
    const bookkeeping =
      this.store.dialect === 'postgres'
        ? sql`SELECT 1 AS found WHERE to_regclass('projection_runner_migrations') IS NOT NULL`
        : sql`SELECT 1 AS found FROM sqlite_master
            WHERE type = 'table' AND name = 'projection_runner_migrations'`;
    if ((await bookkeeping.execute(this.store.db)).rows.length === 0) return false;
    const applied = await this.appliedRunnerMigrations(this.store.db);
    return Object.keys(RUNNER_MIGRATIONS).every((name) => applied.has(name));
  }

  private async appliedRunnerMigrations(db: Kysely<unknown>): Promise<Set<string>> {
    const rows = await (db as Kysely<RunnerMigrationTables>)
      .selectFrom('projection_runner_migrations')
      .select('name')
      .execute();
    return new Set(rows.map((row) => row.name));
  }

  /**
   * Refuses, naming the privilege, to create tables the store's role may not create: the
   * statement itself would only say "permission denied for schema public".
   */
  private async requireCreatePrivilege(purpose: string): Promise<void> {
    if (this.store.dialect !== 'postgres') return;
    const { rows } = await sql<{ role: string; schema: string | null; may: boolean | null }>`
      SELECT current_user AS role, current_schema() AS schema,
        has_schema_privilege(current_schema(), 'CREATE') AS may`.execute(this.store.db);
    const [row] = rows;
    // No schema at all: the statement says so itself.
    if (row?.schema && row.may === false)
      throw new ReadStorePrivilegeMissing(row.role, row.schema, purpose);
  }

  async find(name: string): Promise<RegistryEntry | undefined> {
    const row = await this.db
      .selectFrom('projection_registry')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      name,
      active: {
        version: row.active_version,
        id: row.active_build,
        tables: parseTables(row.active_tables),
      },
      pending:
        row.pending_version !== null && row.pending_build !== null && row.pending_tables !== null
          ? {
              version: row.pending_version,
              id: row.pending_build,
              tables: parseTables(row.pending_tables),
            }
          : undefined,
    };
  }

  /** Registers a first build as active (a projection never seen before has nothing to serve). */
  async register(name: string, build: ProjectionBuild): Promise<void> {
    await this.db
      .insertInto('projection_registry')
      .values({
        name,
        active_version: build.version,
        active_build: build.id,
        active_tables: JSON.stringify(build.tables),
        pending_version: null,
        pending_build: null,
        pending_tables: null,
        state: 'active',
        updated_at: this.timestamp(),
      })
      .execute();
  }

  async setPending(name: string, build: ProjectionBuild | undefined): Promise<void> {
    await this.writePending(this.db, name, build);
  }

  /**
   * Undoes `setPending(name, build)` in one transaction: the build's tables and bookkeeping
   * dropped and the entry without a pending build, as it was before.
   */
  async withdrawPending(name: string, build: ProjectionBuild): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await this.dropBuildIn(tx, name, build);
      await this.writePending(tx, name, undefined);
    });
  }

  private async writePending(
    db: Kysely<RunnerTables>,
    name: string,
    build: ProjectionBuild | undefined,
  ): Promise<void> {
    await db
      .updateTable('projection_registry')
      .set({
        pending_version: build?.version ?? null,
        pending_build: build?.id ?? null,
        pending_tables: build ? JSON.stringify(build.tables) : null,
        state: build ? 'rebuilding' : 'active',
        updated_at: this.timestamp(),
      })
      .where('name', '=', name)
      .execute();
  }

  /**
   * The blue/green switch, in one transaction: the pending build becomes active and the old build
   * is retired, its tables kept until `dropAfter` (see `dropRetired`): a reader that resolved the
   * old alias just before the switch (here, or on a standby instance until its next poll) still
   * finds them. Readers see either the old alias with its tables or the new one, never a mix.
   */
  async promotePending(
    entry: RegistryEntry & { readonly pending: ProjectionBuild },
    dropAfter: Date,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('projection_registry')
        .set({
          active_version: entry.pending.version,
          active_build: entry.pending.id,
          active_tables: JSON.stringify(entry.pending.tables),
          pending_version: null,
          pending_build: null,
          pending_tables: null,
          state: 'active',
          updated_at: this.timestamp(),
        })
        .where('name', '=', entry.name)
        .execute();
      await tx
        .insertInto('projection_retired_builds')
        .values({
          projection: entry.name,
          build: entry.active.id,
          version: entry.active.version,
          tables: JSON.stringify(entry.active.tables),
          drop_after: dropAfter.toISOString(),
        })
        .execute();
    });
  }

  /** Until when `build` is retired (its tables kept for readers), if it is. */
  async retiredUntil(name: string, build: string): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('projection_retired_builds')
      .select('drop_after')
      .where('projection', '=', name)
      .where('build', '=', build)
      .executeTakeFirst();
    return row === undefined ? undefined : new Date(row.drop_after);
  }

  /**
   * Drops the projection's retired builds whose time (wall-clock) has come; resolves with the
   * earliest `drop_after` of those left, if any.
   */
  async dropRetired(name: string): Promise<Date | undefined> {
    const now = new Date();
    const retired = await this.db
      .selectFrom('projection_retired_builds')
      .selectAll()
      .where('projection', '=', name)
      .execute();
    let next: Date | undefined;
    for (const row of retired) {
      const dropAfter = new Date(row.drop_after);
      if (dropAfter > now) {
        if (next === undefined || dropAfter < next) next = dropAfter;
        continue;
      }
      const build = {
        version: Number(row.version),
        id: row.build,
        tables: parseTables(row.tables),
      };
      await this.db.transaction().execute(async (tx) => {
        // Still retired? A rebuild that took the build's id over meanwhile owns its tables now.
        const claimed = await tx
          .deleteFrom('projection_retired_builds')
          .where('projection', '=', name)
          .where('build', '=', row.build)
          .where('drop_after', '=', row.drop_after)
          .returning('build')
          .execute();
        if (claimed.length > 0) await this.dropBuildIn(tx, name, build);
      });
    }
    return next;
  }

  /** Removes a build's tables and bookkeeping (a replaced build, or a stale unfinished one). */
  async dropBuild(name: string, build: ProjectionBuild): Promise<void> {
    await this.db.transaction().execute((tx) => this.dropBuildIn(tx, name, build));
  }

  async readCheckpoint(
    name: string,
    buildId: string,
    db: Kysely<RunnerTables> = this.db,
  ): Promise<bigint> {
    const row = await db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('projection', '=', name)
      .where('build', '=', buildId)
      .executeTakeFirst();
    return row === undefined ? 0n : BigInt(row.position);
  }

  /**
   * The build's checkpoint, read inside the caller's transaction after taking the build's commit
   * lock: two feeds of one build (the one stopping after its lock went with a dropped session, and
   * its successor) commit one after the other, and the later one sees what the earlier applied.
   * On SQLite the read store's one connection serializes transactions already.
   */
  async lockCheckpoint(
    tx: Transaction<RunnerTables>,
    name: string,
    build: ProjectionBuild,
  ): Promise<bigint> {
    if (this.store.dialect === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`projection_commit:${name}:${build.id}`}))`.execute(
        tx,
      );
    // A statement of its own: one that also read the checkpoint would read it as of before it
    // waited for the lock (READ COMMITTED takes a statement's snapshot as it starts).
    return this.readCheckpoint(name, build.id, tx);
  }

  /** Writes the checkpoint inside the caller's transaction (the one holding the projection's rows). */
  async writeCheckpoint(
    tx: Transaction<RunnerTables>,
    name: string,
    build: ProjectionBuild,
    position: bigint,
  ): Promise<void> {
    const updatedAt = this.timestamp();
    await tx
      .insertInto('projection_checkpoints')
      .values({
        projection: name,
        build: build.id,
        version: build.version,
        position: position.toString(),
        updated_at: updatedAt,
      })
      .onConflict((oc) =>
        oc
          .columns(['projection', 'build'])
          .doUpdateSet({ position: position.toString(), updated_at: updatedAt }),
      )
      .execute();
  }

  /**
   * Applies the projection's migrations this build has not run yet, each in its own transaction.
   * Two instances may run them together (one whose lock went with its session and has not stopped
   * yet, and the next holder): on PostgreSQL the second waits for the first's transaction and
   * then finds the migration applied, instead of failing on the tables the first created.
   */
  async migrateBuild(projection: AnyProjection, build: ProjectionBuild): Promise<void> {
    const applied = new Set(await this.appliedMigrations(this.db, projection.name, build.id));
    if (projection.migrations.some((migration) => !applied.has(migration.name)))
      await this.requireCreatePrivilege(`to create the tables of ${projection.name} ${build.id}`);
    for (const migration of projection.migrations) {
      if (applied.has(migration.name)) continue;
      await this.db.transaction().execute(async (tx) => {
        if (this.store.dialect === 'postgres') {
          const key = `migrate:${projection.name}:${build.id}`;
          await sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || ${key}))`.execute(
            tx,
          );
          const done = await this.appliedMigrations(tx, projection.name, build.id);
          if (done.includes(migration.name)) return;
        }
        await migration.up(
          withBuildTables(tx, build),
          resolverFor<Record<string, object>>(projection.name, build),
        );
        await tx
          .insertInto('projection_schema_migrations')
          .values({
            projection: projection.name,
            build: build.id,
            migration: migration.name,
            applied_at: this.timestamp(),
          })
          .execute();
      });
    }
  }

  /** The build has tables: a migration of it was applied (and its tables not dropped since). */
  async isMigrated(name: string, buildId: string): Promise<boolean> {
    return (await this.appliedMigrations(this.db, name, buildId)).length > 0;
  }

  private async appliedMigrations(
    db: Kysely<RunnerTables>,
    name: string,
    buildId: string,
  ): Promise<string[]> {
    const rows = await db
      .selectFrom('projection_schema_migrations')
      .select('migration')
      .where('projection', '=', name)
      .where('build', '=', buildId)
      .execute();
    return rows.map((row) => row.migration);
  }

  private async dropBuildIn(
    tx: Transaction<RunnerTables>,
    name: string,
    build: ProjectionBuild,
  ): Promise<void> {
    // The retirement row first, as `dropRetired` does: two transactions dropping one build (its
    // timer and a rebuild reusing its id) then lock in the same order instead of deadlocking.
    await tx
      .deleteFrom('projection_retired_builds')
      .where('projection', '=', name)
      .where('build', '=', build.id)
      .execute();
    for (const table of Object.values(build.tables)) {
      await tx.schema.dropTable(table).ifExists().execute();
    }
    await tx
      .deleteFrom('projection_checkpoints')
      .where('projection', '=', name)
      .where('build', '=', build.id)
      .execute();
    await tx
      .deleteFrom('projection_schema_migrations')
      .where('projection', '=', name)
      .where('build', '=', build.id)
      .execute();
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

/** The build a new version (or a rebuild of the active version) writes into: never the active build's tables. */
export function nextBuild(
  projection: AnyProjection,
  active: ProjectionBuild | undefined,
): ProjectionBuild {
  const plain = `v${projection.version}`;
  const id = active?.id === plain ? `${plain}_b` : plain;
  const tables: Record<string, string> = {};
  for (const logical of projection.tables) tables[logical] = `${logical}_${id}`;
  return { version: projection.version, id, tables };
}

/**
 * The scratch build a verify rebuilds the active version into: tables of their own, never
 * registered, so never read by queries nor switched to.
 */
export function verificationBuild(projection: AnyProjection): ProjectionBuild {
  const id = `v${projection.version}_verify`;
  const tables: Record<string, string> = {};
  for (const logical of projection.tables) tables[logical] = `${logical}_${id}`;
  return { version: projection.version, id, tables };
}

export function validateProjection(projection: AnyProjection): void {
  if (!NAME_PATTERN.test(projection.name))
    throw new Error(`Projection name ${projection.name} must match ${NAME_PATTERN}`);
  if (!Number.isInteger(projection.version) || projection.version < 1) {
    throw new Error(`Projection ${projection.name}: version must be a positive integer`);
  }
  for (const table of projection.tables) {
    if (table !== projection.name && !table.startsWith(`${projection.name}_`)) {
      throw new Error(
        `Projection ${projection.name}: table ${table} must be named ${projection.name} or ${projection.name}_…`,
      );
    }
  }
}

export function resolverFor<TDb>(name: string, build: ProjectionBuild): TableResolver<TDb> {
  return (logical) => {
    const physical = build.tables[logical];
    if (physical === undefined) throw new Error(`Projection ${name} declares no table ${logical}`);
    return physical;
  };
}

/** `db` with the build's logical table names rewritten to its physical tables. */
export function withBuildTables<TDb, TDb2>(db: Kysely<TDb2>, build: ProjectionBuild): Kysely<TDb>;
export function withBuildTables<TDb, TDb2>(
  db: Transaction<TDb2>,
  build: ProjectionBuild,
): Transaction<TDb>;
export function withBuildTables<TDb, TDb2>(db: Kysely<TDb2>, build: ProjectionBuild): Kysely<TDb> {
  // Kysely types a database by its table map; the plugin makes the logical map the true one.
  return db.withPlugin(
    new TableRenamePlugin((logical) => build.tables[logical]),
  ) as unknown as Kysely<TDb>;
}

function parseTables(json: string): Readonly<Record<string, string>> {
  return JSON.parse(json) as Record<string, string>;
}
