import { openPostgresReadStore } from './postgres-read-store';
import type { ReadStore, ReadStoreConfig } from './read-store';
import { openSqliteReadStore } from './sqlite-read-store';

/** Opens the read store the configuration names: SQLite (embedded default) or PostgreSQL. */
export async function openReadStore(config: ReadStoreConfig): Promise<ReadStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteReadStore(config.file);
    case 'postgres':
      return openPostgresReadStore(config);
  }
}
