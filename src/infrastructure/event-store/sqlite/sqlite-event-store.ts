import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataDirectoryLocked,
  WrongExpectedRevision,
} from '../../../shared/event-store/event-store.errors';
import type {
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeOptions,
  SubscriptionMessage,
} from '../../../shared/event-store/event-store.port';
import { RecentEvents, toRecordedEvent, type EventRow } from './recent-events';
import { SQLITE_EVENT_STORE_SCHEMA } from './sqlite-event-store.schema';
import { WalSync } from './wal-sync';

export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface SqliteEventStoreOptions {
  /** A database file path, or `':memory:'` for tests. Ignored when `dataDir` is given. */
  readonly file?: string;
  /** Embedded mode: the store lives in `<dataDir>/events.sqlite` and owns the directory. */
  readonly dataDir?: string;
  /** `FULL` (the default) makes every acknowledged append survive a power loss. */
  readonly synchronous?: SqliteSynchronous;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface StreamRow {
  metadata: string;
  deleted: number;
}

/** Where a stream ends: its last revision and event id, and whether it is soft-deleted. */
interface StreamHead {
  readonly lastRevision: number | undefined;
  readonly lastId: string | undefined;
  readonly deleted: boolean;
}

const READ_PAGE_SIZE = 1000;

/** Committed events kept parsed for the subscriptions that follow the head (see RecentEvents). */
const RECENT_EVENTS = 8192;

/** Heads of the streams appended to most recently (see `heads`). */
const HEADS_KEPT = 50_000;

/**
 * The embedded event store: one SQLite file, WAL, durable commits, and **group commit** — appends
 * that arrive in the same turn of the event loop are committed in one transaction (each with its
 * own expected-revision check), and the commits that land while the log is being synced share the
 * next sync (see WalSync), so concurrent writers share one fsync.
 * Subscriptions are woken in-process when a commit lands. One process per data directory: the
 * connection holds SQLite's exclusive lock for its whole life.
 */
export class SqliteEventStore implements EventStore {
  readonly exclusiveToThisProcess = true;
  private readonly committed = new EventEmitter();
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;

  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly filteredStatements = new Map<string, Database.Statement>();
  private readonly recent: RecentEvents;
  /** The last position whose commit is durable: what subscriptions and `headPosition` see. */
  private durablePosition: number;
  /**
   * Stream heads known without a query: the connection holds the file's exclusive lock, so no
   * other writer can move them. Entries are set by appends (inside the transaction, dropped again
   * if it fails) and dropped by anything else that changes a stream; least recently used first
   * out (a `Map` keeps insertion order).
   */
  private readonly heads = new Map<string, StreamHead>();

  private constructor(
    private readonly db: Database.Database,
    private readonly walSync: WalSync | undefined,
  ) {
    this.statements = prepareStatements(db);
    this.committed.setMaxListeners(0);
    this.durablePosition = this.headPositionSync();
    this.recent = new RecentEvents(this.durablePosition, RECENT_EVENTS);
  }

  static open(options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const synchronous = options.synchronous ?? 'FULL';
    if (options.dataDir !== undefined) {
      mkdirSync(options.dataDir, { recursive: true });
      const file = join(options.dataDir, 'events.sqlite');
      const pidFile = join(options.dataDir, 'events.pid');
      let store: SqliteEventStore;
      try {
        store = SqliteEventStore.openFile(file, synchronous);
      } catch (error) {
        if (isBusy(error)) throw new DataDirectoryLocked(options.dataDir, readPid(pidFile));
        throw error;
      }
      writeFileSync(pidFile, String(process.pid));
      return store;
    }
    return SqliteEventStore.openFile(options.file ?? ':memory:', synchronous);
  }

  /** FULL on a file: the connection commits with NORMAL and WalSync syncs the log off the loop. */
  private static openFile(file: string, synchronous: SqliteSynchronous): SqliteEventStore {
    const syncOffLoop = synchronous === 'FULL' && file !== ':memory:';
    const db = openExclusive(file, syncOffLoop ? 'NORMAL' : synchronous);
    try {
      return new SqliteEventStore(db, syncOffLoop ? new WalSync(`${file}-wal`) : undefined);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, events, expected: options.expectedRevision, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate lets every writer that is ready in this turn join the same transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    const written: EventRow[] = [];
    try {
      this.db
        .transaction(() => {
          for (const pending of batch) {
            try {
              const result = this.appendInTransaction(pending, written);
              outcomes.push({ ok: true, result });
            } catch (error) {
              // Rows it inserted before failing stay in the transaction: read the head again.
              this.heads.delete(pending.streamId);
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The commit itself failed: nothing of this batch is durable.
      this.heads.clear();
      for (const pending of batch) pending.reject(error);
      return;
    }
    const acknowledge = (syncFailure: Error | undefined) => {
      if (syncFailure) {
        for (const pending of batch) pending.reject(syncFailure);
        return;
      }
      this.recent.add(written);
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) pending.resolve(outcome.result);
        else pending.reject(outcome.error);
      });
      // The last row written, not the last append answered: a retry (or an append of no
      // events) is answered with a position already in the log, and the head never moves back.
      const lastPosition = written[written.length - 1]?.position;
      if (lastPosition !== undefined) {
        this.durablePosition = lastPosition;
        this.committed.emit('commit', lastPosition);
      }
    };
    if (this.walSync && written.length > 0) this.walSync.afterWrites(acknowledge);
    else acknowledge(undefined);
  }

  /** Appends one pending append's events; adds the rows it inserted to `written`. */
  private appendInTransaction(
    { streamId, events, expected }: PendingAppend,
    written: EventRow[],
  ): AppendResult {
    const { lastRevision, lastId, deleted } = this.streamHead(streamId);
    const actual: bigint | 'no_stream' =
      lastRevision === undefined || deleted ? 'no_stream' : BigInt(lastRevision);
    if (!matchesExpectation(expected, actual)) {
      const retried = this.findIdempotentRetry(streamId, events, expected, lastRevision);
      if (retried) return retried;
      throw new WrongExpectedRevision(streamId, expected, actual);
    }
    if (events.length === 0) {
      const last = lastRevision ?? -1;
      return { nextExpectedRevision: BigInt(last), position: BigInt(this.headPositionSync()) };
    }
    const mayBeRetry = expected === 'any' && lastId === events[events.length - 1]!.id;
    const retried = mayBeRetry
      ? this.findIdempotentRetry(streamId, events, expected, lastRevision)
      : undefined;
    if (retried) return retried;
    // Serialized before the first insert: an event that cannot be fails the append with nothing
    // of it written (the transaction goes on for the other appends of the group).
    const serialized = events.map((event) => ({
      event,
      data: JSON.stringify(event.data),
      metadata: JSON.stringify(event.metadata),
    }));
    if (deleted) this.statements.undelete.run(streamId);
    let revision = lastRevision ?? -1;
    let position = 0;
    const recordedAt = Date.now();
    for (const { event, data, metadata } of serialized) {
      revision += 1;
      const info = this.statements.insert.run(
        streamId,
        revision,
        event.id,
        event.type,
        data,
        metadata,
        recordedAt,
      );
      position = Number(info.lastInsertRowid);
      written.push({
        position,
        stream_id: streamId,
        revision,
        id: event.id,
        type: event.type,
        data,
        metadata,
        recorded_at: recordedAt,
      });
    }
    this.rememberHead(streamId, {
      lastRevision: revision,
      lastId: events[events.length - 1]!.id,
      deleted: false,
    });
    return { nextExpectedRevision: BigInt(revision), position: BigInt(position) };
  }

  /**
   * An append retried with the same event ids at the same place succeeds without writing twice.
   * For `any` "the same place" is the end of the stream: the last events carry those ids.
   */
  private findIdempotentRetry(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    lastRevision: number | undefined,
  ): AppendResult | undefined {
    if (events.length === 0 || lastRevision === undefined) return undefined;
    let firstRevision: number;
    if (typeof expected === 'bigint') firstRevision = Number(expected) + 1;
    else if (expected === 'no_stream') firstRevision = 0;
    else if (expected === 'any') firstRevision = lastRevision - events.length + 1;
    else return undefined;
    if (firstRevision < 0) return undefined;
    const rows = this.statements.eventsFrom.all(streamId, firstRevision, events.length) as Pick<
      EventRow,
      'id' | 'revision' | 'position'
    >[];
    if (rows.length !== events.length) return undefined;
    if (!rows.every((row, index) => row.id === events[index]!.id)) return undefined;
    const last = rows[rows.length - 1]!;
    return { nextExpectedRevision: BigInt(last.revision), position: BigInt(last.position) };
  }

  private streamHead(streamId: string): StreamHead {
    const known = this.heads.get(streamId);
    if (known !== undefined) {
      this.rememberHead(streamId, known);
      return known;
    }
    const last = this.statements.lastRevision.get(streamId) as
      Pick<EventRow, 'revision' | 'id'> | undefined;
    const stream = this.statements.stream.get(streamId) as StreamRow | undefined;
    const head = { lastRevision: last?.revision, lastId: last?.id, deleted: stream?.deleted === 1 };
    this.rememberHead(streamId, head);
    return head;
  }

  private rememberHead(streamId: string, head: StreamHead): void {
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > HEADS_KEPT) this.heads.delete(this.heads.keys().next().value!);
  }

  private headPositionSync(): number {
    const row = this.statements.head.get() as { position: number | null };
    return row.position ?? 0;
  }

  async *readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const { visibleFrom, maxAgeCutoff } = this.visibility(streamId);
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let cursor =
      options.fromRevision !== undefined
        ? Number(options.fromRevision)
        : backwards
          ? Number.MAX_SAFE_INTEGER
          : visibleFrom;
    while (remaining > 0) {
      const limit = Math.min(READ_PAGE_SIZE, remaining);
      const rows = (
        backwards
          ? this.statements.streamBackwards.all(streamId, cursor, visibleFrom, limit)
          : this.statements.streamForwards.all(streamId, Math.max(cursor, visibleFrom), limit)
      ) as EventRow[];
      for (const row of rows) {
        if (maxAgeCutoff !== undefined && row.recorded_at < maxAgeCutoff) continue;
        remaining -= 1;
        yield toRecordedEvent(row);
      }
      if (rows.length < limit) return;
      cursor = rows[rows.length - 1]!.revision + (backwards ? -1 : 1);
    }
  }

  /**
   * Which events of a stream can be read: revisions below `visibleFrom` are hidden by soft delete,
   * truncate-before or `$maxCount`; events recorded before `maxAgeCutoff` by `$maxAge`. Most
   * streams have no settings row, which costs one primary-key lookup.
   */
  private visibility(streamId: string): { visibleFrom: number; maxAgeCutoff: number | undefined } {
    const stream = this.statements.stream.get(streamId) as StreamRow | undefined;
    if (!stream) return { visibleFrom: 0, maxAgeCutoff: undefined };
    const metadata = JSON.parse(stream.metadata) as StreamMetadata;
    const head = this.statements.lastRevision.get(streamId) as { revision: number } | undefined;
    let visibleFrom = metadata.truncateBefore !== undefined ? Number(metadata.truncateBefore) : 0;
    if (stream.deleted === 1) visibleFrom = Math.max(visibleFrom, (head?.revision ?? -1) + 1);
    if (metadata.maxCount !== undefined && head) {
      visibleFrom = Math.max(visibleFrom, head.revision - metadata.maxCount + 1);
    }
    const maxAgeCutoff =
      metadata.maxAge === undefined ? undefined : Date.now() - metadata.maxAge * 1000;
    return { visibleFrom, maxAgeCutoff };
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let after = Number(options.fromPosition ?? 0n);
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const limit = Math.min(READ_PAGE_SIZE, remaining);
      const { events, scannedThrough } = this.readEventsPage(after, options.filter, limit);
      for (const event of events) {
        remaining -= 1;
        yield event;
      }
      if (events.length < limit) return;
      after = scannedThrough;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    return new SqliteAllSubscription(this, this.committed, options);
  }

  async readFirstEvents(streamIds: readonly string[]): Promise<Map<string, RecordedEvent>> {
    const found = new Map<string, RecordedEvent>();
    if (streamIds.length === 0) return found;
    const ids = JSON.stringify(streamIds);
    // Without a streams row (no metadata, never deleted) a stream's first event is revision 0;
    // the others go through readStream's visibility rules.
    const special = new Set(
      (this.statements.streamsIn.all(ids) as Array<{ stream_id: string }>).map(
        (row) => row.stream_id,
      ),
    );
    for (const row of this.statements.firstEventsIn.all(ids) as EventRow[]) {
      if (!special.has(row.stream_id)) found.set(row.stream_id, toRecordedEvent(row));
    }
    for (const streamId of special) {
      for await (const event of this.readStream(streamId, { maxCount: 1 })) {
        found.set(streamId, event);
      }
    }
    return found;
  }

  /**
   * @internal One page of `$all` after `after` that passes `filter`: from the recent events when
   * they reach back that far, else from the table. `scannedThrough` is how far the log was
   * examined: the last event of a full page, or the head when the page came back short, so a
   * sparse filter does not rescan the same rejected events on the next call.
   */
  readEventsPage(
    after: number,
    filter: EventFilter | undefined,
    limit = READ_PAGE_SIZE,
  ): { events: RecordedEvent[]; scannedThrough: number } {
    const recent = this.recent.page(after, filter, limit);
    if (recent) return recent;
    const { rows, scannedThrough } = this.readPage(after, filter, limit);
    return { events: rows.map(toRecordedEvent), scannedThrough };
  }

  /** One page from the table, filtered in SQL so rejected events never reach JavaScript. */
  private readPage(
    after: number,
    filter: EventFilter | undefined,
    limit: number,
  ): { rows: EventRow[]; scannedThrough: number } {
    const head = this.durablePosition;
    const { statement, parameters } = this.filteredStatement(filter);
    const rows = statement.all(after, head, ...parameters, limit) as EventRow[];
    const scannedThrough =
      rows.length < limit ? Math.max(after, head) : rows[rows.length - 1]!.position;
    return { rows, scannedThrough };
  }

  private filteredStatement(filter: EventFilter | undefined): {
    statement: Database.Statement;
    parameters: unknown[];
  } {
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.eventTypes ?? [];
    const key = JSON.stringify([prefixes.length, types.length]);
    let statement = this.filteredStatements.get(key);
    if (!statement) {
      const clauses = ["substr(stream_id, 1, 1) <> '$'"];
      if (filter?.streamPrefixes)
        clauses.push(`(${prefixes.map(() => 'substr(stream_id, 1, ?) = ?').join(' OR ') || '0'})`);
      if (filter?.eventTypes) clauses.push(`type IN (${types.map(() => '?').join(', ')})`);
      statement = this.db.prepare(
        `SELECT * FROM events WHERE position > ? AND position <= ? AND ${clauses.join(' AND ')} ORDER BY position LIMIT ${BOUND_LIMIT}`,
      );
      this.filteredStatements.set(key, statement);
    }
    return {
      statement,
      parameters: [
        ...(filter?.streamPrefixes ? prefixes.flatMap((prefix) => [prefix.length, prefix]) : []),
        ...types,
      ],
    };
  }

  async headPosition(): Promise<bigint> {
    return BigInt(this.durablePosition);
  }

  /** Positions number the events one by one. */
  logEnd(): Promise<bigint> {
    return this.headPosition();
  }

  positionEventsBefore(position: bigint, events: number): bigint {
    const before = position - BigInt(events);
    return before > 0n ? before : 0n;
  }

  commitsAfter(position: bigint, head: bigint): boolean {
    return position > head;
  }

  eventsBetween(from: bigint, to: bigint): bigint {
    return to > from ? to - from : 0n;
  }

  async deleteStream(
    streamId: string,
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<void> {
    const { lastRevision, deleted } = this.streamHead(streamId);
    const actual = lastRevision === undefined || deleted ? 'no_stream' : BigInt(lastRevision);
    const expected = options.expectedRevision ?? 'any';
    if (!matchesExpectation(expected, actual))
      throw new WrongExpectedRevision(streamId, expected, actual);
    this.statements.markDeleted.run(streamId);
    this.heads.delete(streamId);
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    const serializable = {
      ...metadata,
      ...(metadata.truncateBefore !== undefined
        ? { truncateBefore: Number(metadata.truncateBefore) }
        : {}),
    };
    this.statements.upsertMetadata.run(streamId, JSON.stringify(serializable));
  }

  async getStreamMetadata(streamId: string): Promise<StreamMetadata> {
    const stream = this.statements.stream.get(streamId) as StreamRow | undefined;
    if (!stream) return {};
    const parsed = JSON.parse(stream.metadata) as Record<string, unknown>;
    return {
      ...parsed,
      ...(typeof parsed.truncateBefore === 'number'
        ? { truncateBefore: BigInt(parsed.truncateBefore) }
        : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Appends already accepted into the queue are committed before the file closes.
    this.flush();
    await this.walSync?.drained();
    this.committed.emit('close');
    this.db.close();
    this.walSync?.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

class SqliteAllSubscription implements AllSubscription {
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly onCommit = () => this.wake?.();

  constructor(
    private readonly store: SqliteEventStore,
    private readonly committed: EventEmitter,
    private readonly options: SubscribeOptions,
  ) {
    committed.on('commit', this.onCommit);
    committed.on('close', this.onCommit);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    let after = Number(this.options.fromPosition ?? 0n);
    let caughtUpReported = false;
    try {
      while (!this.stopped && !this.store.isClosed) {
        // Arm the wake-up before reading so a commit landing between the read and the wait is not missed.
        const signalled = new Promise<void>((resolve) => (this.wake = resolve));
        const { events, scannedThrough } = this.store.readEventsPage(after, this.options.filter);
        for (const event of events) {
          yield { kind: 'event', event };
          if (this.stopped) return;
        }
        after = scannedThrough;
        if (events.length === READ_PAGE_SIZE) continue;
        if (!caughtUpReported) {
          caughtUpReported = true;
          yield { kind: 'caughtUp', position: after === 0 ? undefined : BigInt(after) };
          continue;
        }
        await signalled;
      }
    } finally {
      this.detach();
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.detach();
  }

  private detach(): void {
    this.committed.off('commit', this.onCommit);
    this.committed.off('close', this.onCommit);
  }
}

function openExclusive(file: string, synchronous: SqliteSynchronous): Database.Database {
  const db = new Database(file, { timeout: 100 });
  try {
    // Exclusive locking: the first write lock is kept until close, so a second process fails fast
    // instead of interleaving writes; it also spares WAL its shared-memory index.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
    db.exec(SQLITE_EVENT_STORE_SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function matchesExpectation(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/**
 * A limit bound as a parameter, hidden from the query planner: SQLite plans with the value of a
 * bare `LIMIT ?`, so every execution with a new binding prepares the statement again (~6 µs, more
 * than reading a short stream: a contact's stream read by ingestion, an empty one in 0.6 µs
 * instead of 7). The plan is the same for every limit.
 */
const BOUND_LIMIT = 'CAST(? AS INTEGER)';

function prepareStatements(db: Database.Database) {
  return {
    insert: db.prepare(
      'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    lastRevision: db.prepare(
      'SELECT revision, id FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    stream: db.prepare('SELECT metadata, deleted FROM streams WHERE stream_id = ?'),
    // Stream ids as one JSON array parameter: one prepared statement for any number of them.
    streamsIn: db.prepare(
      'SELECT stream_id FROM streams WHERE stream_id IN (SELECT value FROM json_each(?))',
    ),
    firstEventsIn: db.prepare(
      'SELECT * FROM events WHERE stream_id IN (SELECT value FROM json_each(?)) AND revision = 0',
    ),
    eventsFrom: db.prepare(
      `SELECT id, revision, position FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ${BOUND_LIMIT}`,
    ),
    streamForwards: db.prepare(
      `SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ${BOUND_LIMIT}`,
    ),
    streamBackwards: db.prepare(
      `SELECT * FROM events WHERE stream_id = ? AND revision <= ? AND revision >= ? ORDER BY revision DESC LIMIT ${BOUND_LIMIT}`,
    ),
    head: db.prepare('SELECT max(position) AS position FROM events'),
    markDeleted: db.prepare(
      `INSERT INTO streams (stream_id, metadata, deleted) VALUES (?, '{}', 1)
       ON CONFLICT (stream_id) DO UPDATE SET deleted = 1`,
    ),
    undelete: db.prepare(
      `UPDATE streams SET deleted = 0,
         metadata = json_set(metadata, '$.truncateBefore',
           (SELECT coalesce(max(revision), -1) + 1 FROM events WHERE events.stream_id = streams.stream_id))
       WHERE stream_id = ?`,
    ),
    upsertMetadata: db.prepare(
      `INSERT INTO streams (stream_id, metadata, deleted) VALUES (?, ?, 0)
       ON CONFLICT (stream_id) DO UPDATE SET metadata = excluded.metadata`,
    ),
  };
}
