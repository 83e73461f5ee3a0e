import type { Kysely } from 'kysely';

/** The two read-model databases; projection code and queries must run unchanged on both. */
export type ReadStoreDialect = 'sqlite' | 'postgres';

export type ReadStoreConfig =
  | {
      readonly kind: 'sqlite';
      /** A database file (embedded mode: `<DATA_DIR>/read-models.sqlite`), or `':memory:'`. */
      readonly file: string;
    }
  | {
      readonly kind: 'postgres';
      /** `postgres://…` (the `DATABASE_URL`). */
      readonly url: string;
      /**
       * Schema every connection uses as its `search_path` (created if missing). Tests use one
       * per file so they never share tables; production leaves it unset (`public`).
       */
      readonly schema?: string;
      /** Pool size; defaults to 10. */
      readonly maxConnections?: number;
      /**
       * A pooled connection broke (the server restarted, or terminated it): the pool drops it and
       * connects anew when next asked, and a statement running on it fails. Told here instead of
       * crashing the process.
       */
      readonly onConnectionError?: (error: Error) => void;
    };

/** The file name of the embedded read store inside `DATA_DIR`. */
export const SQLITE_READ_STORE_FILE_NAME = 'read-models.sqlite';

/** Held until released; see {@link ReadStore.tryLock}. */
export interface ReadStoreLock {
  release(): Promise<void>;
  /** False once the lock is gone without a release (PostgreSQL: its session ended). */
  held(): boolean;
}

/**
 * The read-model database: a Kysely instance over SQLite (embedded) or PostgreSQL (production).
 * Table types are owned by each projection, so the instance is untyped here; projections and
 * queries narrow it with their own table interfaces.
 */
export interface ReadStore {
  readonly dialect: ReadStoreDialect;
  /** Projections' writes (and everything that must see them before they commit). */
  readonly db: Kysely<unknown>;
  /**
   * The API's reads: committed data only, and never queued behind a projection's transaction
   * (SQLite: a second, read-only connection; PostgreSQL: the same pool, whose connections never
   * wait for each other's reads).
   */
  readonly queryDb: Kysely<unknown>;
  /**
   * SQLite only: the first row `sql` selects, read on `queryDb`'s connection synchronously, for
   * the API's hottest point read (Kysely's driver costs as much again as the read itself).
   */
  readonly pointRead?: (sql: string, parameters: readonly unknown[]) => unknown;
  /**
   * Cross-process mutual exclusion for `key` (e.g. one runner per projection). PostgreSQL: a
   * session advisory lock scoped to the current schema, held on a dedicated connection until
   * released or the store closes (or that connection drops). SQLite: always granted — the
   * embedded mode runs a single process per data directory.
   * Returns `undefined` when another holder has it.
   */
  tryLock(key: string): Promise<ReadStoreLock | undefined>;
  /**
   * Refreshes the query planner's statistics of tables whose size has changed enough since they
   * were last analyzed (SQLite never does it by itself; PostgreSQL's autovacuum may be off or
   * behind). `freshTables`: tables just filled in bulk (a build that caught up), analyzed now: a
   * switch to them must not wait for sane plans.
   */
  optimize(freshTables?: readonly string[]): Promise<void>;
  /**
   * Marks `text` as a statement run many times with different parameters and a plan that does not
   * depend on them (a point read by primary key): PostgreSQL then parses and plans it once per
   * connection, as a named prepared statement, instead of on every execution. SQLite keeps every
   * statement prepared already (`withStatementCache`). Only for such statements: PostgreSQL may
   * run a named statement with one generic plan for all parameters.
   */
  keepPrepared(text: string): void;
  /** Releases locks and closes every connection. */
  close(): Promise<void>;
}
