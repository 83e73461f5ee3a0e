import { EventStoreUnavailable } from './event-store/event-store.errors';

/** What a store's error says about the storage under it, whatever layer meets it. */
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** SQLite found a broken page, or no database, in its file: no retry reads it better. */
export const isDamagedStorage = (error: unknown): boolean =>
  codeOf(error) === 'SQLITE_CORRUPT' || codeOf(error) === 'SQLITE_NOTADB';

/** The disk is full (SQLite's SQLITE_FULL, PostgreSQL's disk_full). */
export const isStorageFull = (error: unknown): boolean =>
  codeOf(error) === 'SQLITE_FULL' || codeOf(error) === '53100';

/**
 * The server ended the session under a statement (57P01-03: terminated by an operator, shut
 * down, restarted), or its socket broke: `pg` then says "Connection terminated", and a pooled
 * client that broke before it was lent out is "not queryable". A fresh connection may succeed.
 */
export const isDroppedConnection = (error: unknown): boolean => {
  const code = codeOf(error);
  if (typeof code === 'string' && DROPPED_CONNECTION_CODES.has(code)) return true;
  if (!(error instanceof Error)) return false;
  return (
    error.message.startsWith('Connection terminated') ||
    error.message.endsWith('has encountered a connection error and is not queryable')
  );
};

const DROPPED_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03']);

/**
 * A failure to reach PostgreSQL (or any store spoken to over TCP): a dropped connection, one that
 * could not be made, SQLSTATE class 08, or the server refusing new sessions (53300: out of
 * connection slots).
 */
export const isConnectionError = (error: unknown): boolean => {
  if (isDroppedConnection(error)) return true;
  const code = codeOf(error);
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
    return true;
  // 55000 is also a statement's refusal; a database closed to new sessions says so.
  return (
    code === '55000' &&
    error instanceof Error &&
    error.message.includes('not currently accepting connections')
  );
};

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', '53300']);

/**
 * A store the service depends on cannot be reached: EventStoreDB (`EventStoreUnavailable`), or
 * PostgreSQL or another store over TCP (`isConnectionError`). An outage to wait out: the same
 * request or event may succeed once it answers again.
 */
export const isStoreUnreachable = (error: unknown): boolean =>
  error instanceof EventStoreUnavailable || isConnectionError(error);
