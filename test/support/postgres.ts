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

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
