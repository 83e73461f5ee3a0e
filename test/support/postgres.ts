import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL integration tests use (trust auth, database `test`). */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresAvailability =
  { readonly reachable: true } | { readonly reachable: false; readonly reason: string };

let availability: PostgresAvailability | undefined;

/**
 * Whether PostgreSQL answers, decided synchronously (a child process tries to connect) because
 * jest registers tests synchronously. Cached per worker.
 */
export function postgresAvailability(): PostgresAvailability {
  if (availability) return availability;
  const probe = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query('SELECT 1')).then(() => client.end()).then(
      () => process.exit(0),
      (error) => { process.stderr.write(String(error && error.message || error)); process.exit(1); },
    );`;
  const result = spawnSync(process.execPath, ['-e', probe, TEST_POSTGRES_URL], {
    cwd: __dirname,
    encoding: 'utf8',
    timeout: 10_000,
  });
  availability =
    result.status === 0
      ? { reachable: true }
      : {
          reachable: false,
          reason: `${TEST_POSTGRES_URL}: ${result.stderr.trim() || result.error?.message || 'no answer'}`,
        };
  return availability;
}

/** `REQUIRE_POSTGRES=1` (CI) turns an unreachable PostgreSQL into a failure instead of a skip. */
export function postgresRequired(): boolean {
  return process.env.REQUIRE_POSTGRES === '1';
}

/** A schema name no other test uses. */
export function uniqueSchemaName(prefix: string): string {
  return `t_${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function createSchema(schema: string): Promise<void> {
  await asSuperuser(async (client) => {
    await client.query(`CREATE SCHEMA "${schema}"`);
  });
}

export async function dropSchema(schema: string): Promise<void> {
  await asSuperuser(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/** A login role of a test's own, with what the service's role has where an owner migrated the schema. */
export interface DataOnlyRole {
  readonly name: string;
  /** `TEST_POSTGRES_URL` as this role, its search path the schema (as a `DATABASE_URL` sets it). */
  readonly url: string;
  /** SELECT, INSERT, UPDATE and DELETE on every table the schema holds now. */
  grantOnTables(): Promise<void>;
  /** Takes its privileges away and drops it (roles are the server's, not the database's). */
  drop(): Promise<void>;
}

/**
 * A role that owns nothing and may use `schema` but not create in it: USAGE without CREATE,
 * and the table privileges `grantOnTables` gives.
 */
export async function createDataOnlyRole(schema: string): Promise<DataOnlyRole> {
  const name = uniqueSchemaName('role');
  await asSuperuser(async (client) => {
    await client.query(`CREATE ROLE "${name}" LOGIN`);
    await client.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${name}"`);
  });
  const url = new URL(TEST_POSTGRES_URL);
  url.username = name;
  url.password = '';
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    name,
    url: url.toString(),
    grantOnTables: () =>
      asSuperuser(async (client) => {
        await client.query(
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${name}"`,
        );
      }),
    drop: () =>
      asSuperuser(async (client) => {
        await client.query(`DROP OWNED BY "${name}"`);
        await client.query(`DROP ROLE "${name}"`);
      }),
  };
}

async function asSuperuser(work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
