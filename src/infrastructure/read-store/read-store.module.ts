import { Global, Logger, Module } from '@nestjs/common';
import { sql } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Environment } from '../../config/environment';
import { outlastingDroppedConnections } from '../../shared/dropped-connection-retry';
import { StartFailure } from '../../shared/start-failure';
import { openInDataDir } from '../data-dir';
import { openReadStore } from './open-read-store';
import { SQLITE_READ_STORE_FILE_NAME, type ReadStore } from './read-store';

export const READ_STORE = Symbol('READ_STORE');

const DEFAULT_POSTGRES_PORT = '5432';

/** SQLite in `DATA_DIR` by default; PostgreSQL when `DATABASE_URL` is set. */
export async function openConfiguredReadStore(environment: Environment): Promise<ReadStore> {
  const logger = new Logger('ReadStore');
  if (environment.DATABASE_URL) {
    logger.log(
      `Using the PostgreSQL read models at ${withoutCredentials(environment.DATABASE_URL)}`,
    );
    const store = await openReadStore({
      kind: 'postgres',
      url: environment.DATABASE_URL,
      onConnectionError: (error) =>
        logger.warn(`A PostgreSQL connection broke and was dropped: ${error.message}`),
    });
    // Connecting now: a database that is not there fails the start saying so, not at the first
    // statement of whatever runs first.
    try {
      await outlastingDroppedConnections(
        () => sql`SELECT 1`.execute(store.db),
        (_error, delayMs) =>
          logger.warn(
            `A PostgreSQL connection broke as the service started; retrying in ${delayMs} ms`,
          ),
      );
    } catch (error) {
      await store.close().catch(() => undefined);
      throw new StartFailure(
        `DATABASE_URL: cannot connect to PostgreSQL at ${withoutCredentials(environment.DATABASE_URL)} ` +
          `(${error instanceof Error ? error.message : String(error)})`,
      );
    }
    return store;
  }
  const file = join(environment.DATA_DIR, SQLITE_READ_STORE_FILE_NAME);
  logger.log(`Using the SQLite read models in ${file}`);
  return openInDataDir(
    environment.DATA_DIR,
    'the read models',
    () => {
      mkdirSync(environment.DATA_DIR, { recursive: true });
      return openReadStore({ kind: 'sqlite', file });
    },
    `the file is damaged: delete ${SQLITE_READ_STORE_FILE_NAME} (and its -wal and -shm files), ` +
      'and the read models are rebuilt from the event log at the next start',
  );
}

/** The server, port and database of a connection URL, without its user and password. */
export function withoutCredentials(url: string): string {
  try {
    const { hostname, port, pathname } = new URL(url);
    // pg connects to PostgreSQL's default port when the URL names none.
    return `${hostname}:${port || DEFAULT_POSTGRES_PORT}${pathname}`;
  } catch {
    return 'the URL given';
  }
}

@Global()
@Module({
  providers: [{ provide: READ_STORE, useFactory: openConfiguredReadStore, inject: [Environment] }],
  exports: [READ_STORE],
})
export class ReadStoreModule {}
