import type { Kysely, Transaction } from 'kysely';
import type { RecordedEvent } from '../shared/event-store/event-store.port';

/**
 * Maps a projection's logical table name to the physical table of the build being written or
 * read (e.g. `contacts` → `contacts_v3`). Needed only where Kysely cannot rename for you: raw SQL
 * and index names (index names are schema-wide on PostgreSQL, so derive them from the table).
 */
export type TableResolver<TDb> = (logical: keyof TDb & string) => string;

/** One step of a projection's schema; applied once per build, in order, and recorded. */
export interface ProjectionMigration<TDb> {
  /** Stable and unique within the projection. */
  readonly name: string;
  /**
   * `db` renames logical table names to the build's physical tables, so
   * `db.schema.createTable('contacts')` creates `contacts_v3`.
   */
  up(db: Kysely<TDb>, tables: TableResolver<TDb>): Promise<void>;
}

/**
 * A read-model projection, as the runner runs it. `TDb` is the projection's tables keyed by their
 * logical names.
 *
 * Guarantees the runner gives `apply`:
 * - events arrive in global position order, filtered to `eventTypes`, in batches;
 * - the batch's writes and the projection's checkpoint commit in one transaction, so a batch is
 *   applied entirely or not at all and a committed batch is never applied again;
 * - delivery is still at-least-once across crashes of the transaction itself, so `apply` must be
 *   safe to run twice on the same events (upserts keyed by event or stream revision).
 *
 * `apply` throwing is treated as a poison event: retried with backoff, then the projection stops
 * in `failed`. Projections never throw for business reasons.
 */
export interface ProjectionDefinition<TDb> {
  /** `[a-z][a-z0-9_]*`; every logical table name is this name or starts with `<name>_`. */
  readonly name: string;
  /** Positive integer. Raising it rebuilds the projection into fresh tables (blue/green). */
  readonly version: number;
  /** The subscription filter: only these event types reach `apply`. */
  readonly eventTypes: readonly string[];
  /** Logical names of every table the migrations create (dropped when this build is replaced). */
  readonly tables: readonly (keyof TDb & string)[];
  readonly migrations: readonly ProjectionMigration<TDb>[];
  /** Writes through `tx`, whose logical table names are renamed to this build's tables. */
  apply(
    events: readonly RecordedEvent[],
    tx: Transaction<TDb>,
    tables: TableResolver<TDb>,
  ): Promise<void>;
}

/**
 * A projection with its table types erased, as the runner holds a list of different ones. Kysely
 * types are invariant in their table map, so a typed definition is not assignable to one shared
 * type; {@link defineProjection} returns a value of both types.
 */
export interface AnyProjection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  readonly tables: readonly string[];
  readonly migrations: readonly {
    readonly name: string;
    up(db: Kysely<unknown>, tables: (logical: string) => string): Promise<void>;
  }[];
  apply(
    events: readonly RecordedEvent[],
    tx: Transaction<unknown>,
    tables: (logical: string) => string,
  ): Promise<void>;
}

/**
 * Declares a projection typed by its logical tables, usable by the runner. Sound because the
 * runner only hands `apply` and the migrations a Kysely whose table names it maps to this
 * definition's own tables.
 */
export function defineProjection<TDb>(
  definition: ProjectionDefinition<TDb>,
): ProjectionDefinition<TDb> & AnyProjection {
  return definition as ProjectionDefinition<TDb> & AnyProjection;
}
