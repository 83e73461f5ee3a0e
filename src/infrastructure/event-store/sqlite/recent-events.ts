import type { EventFilter, RecordedEvent } from '../../../shared/event-store/event-store.port';

/** An `events` row as the store reads and writes it. */
export interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    data: JSON.parse(row.data) as RecordedEvent['data'],
    metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
  };
}

interface Entry {
  readonly row: EventRow;
  /** Parsed on first read, then shared by every reader. */
  event: RecordedEvent | undefined;
}

/**
 * The tail of the log as this connection committed it, for the subscriptions that follow the
 * head: each live projection used to read and parse every new event from SQLite on its own; here
 * an event is parsed once, by its first reader, and the same immutable object goes to the rest.
 * The connection is the log's only writer (it holds SQLite's exclusive lock), so everything after
 * `coveredAfter` is here, in position order; older positions are read from the table.
 */
export class RecentEvents {
  private entries: Entry[] = [];
  private readonly filters = new WeakMap<EventFilter, (row: EventRow) => boolean>();

  constructor(
    /** Position of the last event before the first one held (the head when the store opened). */
    private coveredAfter: number,
    private readonly capacity: number,
  ) {}

  /** Rows of one commit, in position order, once it is durable. */
  add(rows: readonly EventRow[]): void {
    for (const row of rows) this.entries.push({ row, event: undefined });
    if (this.entries.length >= 2 * this.capacity) {
      const dropped = this.entries.splice(0, this.entries.length - this.capacity);
      this.coveredAfter = dropped[dropped.length - 1]!.row.position;
    }
  }

  /**
   * Up to `limit` events after `after` that pass `filter`, and how far the log was examined (the
   * last event returned on a full page, else the head); undefined when `after` is older than what
   * is held.
   */
  page(
    after: number,
    filter: EventFilter | undefined,
    limit: number,
  ): { events: RecordedEvent[]; scannedThrough: number } | undefined {
    if (after < this.coveredAfter) return undefined;
    const matches = this.matcher(filter);
    const events: RecordedEvent[] = [];
    for (let index = this.firstAfter(after); index < this.entries.length; index += 1) {
      const entry = this.entries[index]!;
      if (!matches(entry.row)) continue;
      entry.event ??= Object.freeze(toRecordedEvent(entry.row));
      events.push(entry.event);
      if (events.length === limit) return { events, scannedThrough: entry.row.position };
    }
    return { events, scannedThrough: Math.max(after, this.head) };
  }

  private get head(): number {
    return this.entries.length === 0
      ? this.coveredAfter
      : this.entries[this.entries.length - 1]!.row.position;
  }

  /** Index of the first entry with a position above `after` (binary search). */
  private firstAfter(after: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.row.position <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The filter as the SQL path applies it: no `$` streams, any listed prefix, a listed type. */
  private matcher(filter: EventFilter | undefined): (row: EventRow) => boolean {
    if (filter === undefined) return (row) => !row.stream_id.startsWith('$');
    let matches = this.filters.get(filter);
    if (matches === undefined) {
      const prefixes = filter.streamPrefixes;
      const types = filter.eventTypes ? new Set(filter.eventTypes) : undefined;
      matches = (row) =>
        !row.stream_id.startsWith('$') &&
        (types === undefined || types.has(row.type)) &&
        (prefixes === undefined || prefixes.some((prefix) => row.stream_id.startsWith(prefix)));
      this.filters.set(filter, matches);
    }
    return matches;
  }
}
