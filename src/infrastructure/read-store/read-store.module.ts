import { Global, Logger, Module } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Environment } from '../../config/environment';
import { openInDataDir } from '../data-dir';
import { openReadStore } from './open-read-store';
import { SQLITE_READ_STORE_FILE_NAME, type ReadStore } from './read-store';

export const READ_STORE = Symbol('READ_STORE');

/** SQLite in `DATA_DIR` by default; PostgreSQL when `DATABASE_URL` is set. */
async function openConfiguredReadStore(environment: Environment): Promise<ReadStore> {
  if (environment.DATABASE_URL) {
    const logger = new Logger('ReadStore');
    return openReadStore({
      kind: 'postgres',
      url: environment.DATABASE_URL,
      onConnectionError: (error) =>
        logger.warn(`A PostgreSQL connection broke and was dropped: ${error.message}`),
    });
  }
  return openInDataDir(
    environment.DATA_DIR,
    'the read models',
    () => {
      mkdirSync(environment.DATA_DIR, { recursive: true });
      return openReadStore({
        kind: 'sqlite',
        file: join(environment.DATA_DIR, SQLITE_READ_STORE_FILE_NAME),
      });
    },
    `the file is damaged: delete ${SQLITE_READ_STORE_FILE_NAME} (and its -wal and -shm files), ` +
      'and the read models are rebuilt from the event log at the next start',
  );
}

@Global()
@Module({
  providers: [{ provide: READ_STORE, useFactory: openConfiguredReadStore, inject: [Environment] }],
  exports: [READ_STORE],
})
export class ReadStoreModule {}
