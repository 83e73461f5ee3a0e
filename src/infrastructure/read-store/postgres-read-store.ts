import {
  Kysely,
  PostgresDialect,
  sql,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import { Client, Pool, type ClientConfig, type PoolClient } from 'pg';
import type { ReadStore, ReadStoreLock } from './read-store';

export interface PostgresReadStoreOptions {
  readonly url: string;
  readonly schema?: string;
  readonly maxConnections?: number;
  readonly onConnectionError?: (error: Error) => void;
}

/** The production read store: PostgreSQL through a `pg` pool. */
export async function openPostgresReadStore(options: PostgresReadStoreOptions): Promise<ReadStore> {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new Error(`Invalid read store schema name: ${options.schema}`);
  }
  const connection: ClientConfig = {
    connectionString: options.url,
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  };
  // Without a listener, the 'error' of a broken connection ends the process, whatever the
  // connection is doing then (its statement in flight fails with the error too).
  const connectionError = (error: Error) => options.onConnectionError?.(error);
  if (options.schema !== undefined) {
    const admin = new Client({ connectionString: options.url });
    admin.on('error', connectionError);
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new Pool({ ...connection, max: options.maxConnections ?? 10 });
  // The pool reports an idle connection's break; a lent-out one reports its own. It gets its
  // listener as the pool connects it, before it is first lent out: a session terminated as it
  // starts sends its error in the same read as the end of its startup, and that error is emitted
  // before `pool.connect()` resolves (the pool has taken its own listener off by then).
  pool.on('error', connectionError);
  pool.on('connect', (client) => client.on('error', connectionError));
  const statementNames = new Map<string, string>();
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: preparingPool(pool, statementNames) }),
  });
  const locks = new AdvisoryLocks(connection);
  return {
    dialect: 'postgres',
    db,
    queryDb: db,
    tryLock: (key) => locks.tryLock(key),
    optimize: async (freshTables = []) => {
      const tables = [...new Set([...freshTables, ...(await tablesDueForAnalyze(db))])];
      if (tables.length === 0) return;
      await sql`ANALYZE ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db);
    },
    keepPrepared: (text) => {
      if (!statementNames.has(text)) statementNames.set(text, `kept_${statementNames.size + 1}`);
    },
    close: async () => {
      await locks.close();
      await db.destroy();
    },
  };
}

/**
 * The schema's tables changed enough since their last analysis that autovacuum, with its default
 * settings, would analyze them (50 rows plus a tenth of the table). Autovacuum may be off (CI
 * servers turn it off) or behind: with statistics of a table taken when it was small, a segment
 * search planned a nested loop over every contact and every member that ran for twenty minutes.
 */
async function tablesDueForAnalyze(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ relname: string }>`
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema() AND n_mod_since_analyze > 50 + 0.1 * n_live_tup
  `.execute(db);
  return rows.map((row) => row.relname);
}

/**
 * Session advisory locks live on one dedicated connection: a pooled connection would hand the
 * lock to whichever query borrows it next. Keys are hashed together with the current schema so
 * two schemas (e.g. two test files) never contend.
 */
class AdvisoryLocks {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(private readonly config: ClientConfig) {}

  async tryLock(key: string): Promise<ReadStoreLock | undefined> {
    const client = await this.connection();
    const result = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext(current_schema() || ':' || $1)) AS locked`,
      [key],
    );
    if (result.rows[0]?.locked !== true) return undefined;
    let released = false;
    return {
      release: async () => {
        if (released || this.client !== client) return;
        released = true;
        await client.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || ':' || $1))`, [
          key,
        ]);
      },
      // A dropped session took its advisory locks with it.
      held: () => !released && this.client === client,
    };
  }

  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.connecting = undefined;
    // Ending the session releases every advisory lock it held.
    await client?.end();
  }

  private connection(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    // Failed, it is tried anew at the next tryLock.
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = new Client(this.config);
    let broken: Error | undefined;
    // A dropped lock connection means the locks are gone; the next tryLock reconnects.
    client.on('error', (error) => {
      broken ??= error;
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    // A session terminated as it starts reports it in the read that completes the connect.
    if (broken !== undefined) {
      void client.end().catch(() => undefined);
      throw broken;
    }
    this.client = client;
    return client;
  }
}

/**
 * The pool as Kysely sees it, running the statements named in `names` as named prepared
 * statements (`pg` parses a name once per connection and then only binds and executes it).
 */
function preparingPool(pool: Pool, names: ReadonlyMap<string, string>): PostgresPool {
  // One wrapper per pooled connection: Kysely keeps its connection state by client identity.
  const wrappers = new WeakMap<PoolClient, PostgresPoolClient>();
  const wrap = (client: PoolClient): PostgresPoolClient => {
    function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query(
      text: string | PostgresCursor<unknown>,
      parameters: readonly unknown[] = [],
    ): unknown {
      if (typeof text !== 'string') return client.query(text as never);
      const name = names.get(text);
      return name === undefined
        ? client.query(text, [...parameters])
        : client.query({ name, text, values: [...parameters] });
    }
    return {
      query,
      release: (destroy?: boolean) => client.release(destroy),
    };
  };
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
