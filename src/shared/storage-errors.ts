/** What a store's error says about the storage under it, whatever layer meets it. */
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** SQLite found a broken page, or no database, in its file: no retry reads it better. */
export const isDamagedStorage = (error: unknown): boolean =>
  codeOf(error) === 'SQLITE_CORRUPT' || codeOf(error) === 'SQLITE_NOTADB';

/** The disk is full (SQLite's SQLITE_FULL, PostgreSQL's disk_full). */
export const isStorageFull = (error: unknown): boolean =>
  codeOf(error) === 'SQLITE_FULL' || codeOf(error) === '53100';
