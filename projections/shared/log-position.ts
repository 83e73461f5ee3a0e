/**
 * A log position as read models store it: decimal digits, zero-padded to 39 (2^128 has 39), so
 * text order is log order in both dialects. EventStoreDB's packed positions (`esdb-mapping.ts`)
 * exceed PostgreSQL's bigint and SQLite's integer, which would refuse or round them.
 */
export const positionText = (position: bigint): string => position.toString().padStart(39, '0');
