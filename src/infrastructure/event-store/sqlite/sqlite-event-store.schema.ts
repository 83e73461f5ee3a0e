/**
 * `position` is the rowid, so global order is commit order. Rows are never deleted (soft delete
 * and truncation hide events through `streams`), which keeps positions strictly increasing.
 */
export const SQLITE_EVENT_STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream_id   TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  id          TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  stream_id TEXT PRIMARY KEY,
  metadata  TEXT    NOT NULL DEFAULT '{}',
  deleted   INTEGER NOT NULL DEFAULT 0
);
`;
