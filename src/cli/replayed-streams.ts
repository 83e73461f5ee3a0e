import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import type {
  EventStore,
  ReadStreamOptions,
  RecordedEvent,
} from '../shared/event-store/event-store.port';

interface StoredEvent {
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly position: string;
  readonly recorded_at: number;
}

/**
 * The streams of the events a replay has read so far, kept in a scratch file (memory stays flat
 * whatever the log's length): what the segment membership projection reads of a contact's past
 * when a late event re-dates its changes, as the service's reads its event store. Forwards only,
 * which is all it reads.
 */
export class ReplayedStreams implements Pick<EventStore, 'readStream'> {
  private readonly database: Database.Database;
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;

  constructor(private readonly file: string) {
    rmSync(file, { force: true });
    this.database = new Database(file);
    // Scratch: a crash loses the replay being built anyway.
    this.database.pragma('journal_mode = OFF');
    this.database.pragma('synchronous = OFF');
    this.database.exec(
      'CREATE TABLE events (stream_id TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL, ' +
        'type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, position TEXT NOT NULL, ' +
        'recorded_at INTEGER NOT NULL, PRIMARY KEY (stream_id, revision)) WITHOUT ROWID',
    );
    this.insert = this.database.prepare(
      'INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.select = this.database.prepare(
      'SELECT revision, id, type, data, metadata, position, recorded_at FROM events ' +
        'WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
    );
  }

  /** Keeps `events`: call before they are applied, so that their own streams hold them. */
  record(events: readonly RecordedEvent[]): void {
    this.database.transaction(() => {
      for (const event of events)
        this.insert.run(
          event.streamId,
          event.revision,
          event.id,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
          event.position.toString(),
          event.recordedAt.getTime(),
        );
    })();
  }

  async *readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    if (options.direction === 'backwards')
      throw new Error('A replay reads its streams forwards only');
    const rows = this.select.all(
      streamId,
      options.fromRevision ?? 0n,
      options.maxCount ?? -1,
    ) as StoredEvent[];
    for (const row of rows)
      yield {
        streamId,
        revision: BigInt(row.revision),
        id: row.id,
        type: row.type,
        data: JSON.parse(row.data) as RecordedEvent['data'],
        metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
        position: BigInt(row.position),
        recordedAt: new Date(row.recorded_at),
      };
  }

  /** Closes and removes the scratch file. */
  dispose(): void {
    this.database.close();
    rmSync(this.file, { force: true });
  }
}
