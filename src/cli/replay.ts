import Database from 'better-sqlite3';
import { Format, SingleBar } from 'cli-progress';
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { readModelProjections } from '../../projections';
import { ReplayedStreams } from './replayed-streams';
import type { SegmentClockTicked } from '../segments/domain/segment.events';
import { fromExportedEvent, type ExportedEvent } from '../history/export/exported-event';
import { openSqliteReadStore } from '../infrastructure/read-store/sqlite-read-store';
import type { RecordedEvent } from '../shared/event-store/event-store.port';
import { openExport, type ExportQuery } from './event-export';
import type { ServiceOptions } from './service-api';

/** Where a replay stops: events up to an event time (unix seconds), or up to a log position. */
export type ReplayPoint =
  | { readonly kind: 'time'; readonly seconds: number }
  | { readonly kind: 'position'; readonly position: bigint };

/** `--until`: unix seconds (`1735689600`), or a log position (`position:4711`). */
export function replayPointOf(text: string, nowSeconds: number): ReplayPoint {
  const position = /^position:(\d{1,39})$/.exec(text)?.[1];
  if (position !== undefined) return { kind: 'position', position: BigInt(position) };
  if (/^\d{1,12}$/.test(text)) {
    const seconds = Number(text);
    // What the log will hold by then is not known: a replay is of the past.
    if (seconds > nowSeconds) throw new Error(`--until ${text} is in the future`);
    return { kind: 'time', seconds };
  }
  throw new Error(
    `--until ${text} is neither unix seconds (e.g. 1735689600) nor a log position (e.g. position:4711)`,
  );
}

export interface ReplayOptions extends ServiceOptions {
  readonly until: ReplayPoint;
  /** The SQLite file to create. */
  readonly out: string;
  /** Replace `out` if it exists. */
  readonly force: boolean;
  /** Where the progress bar is drawn. */
  readonly progress: Writable & { readonly isTTY?: boolean };
}

export interface ReplaySummary {
  readonly events: number;
  /** The workspace whose events were replayed (undefined when there was none). */
  readonly workspaceId: string | undefined;
  /** The last position replayed (undefined when there was none). */
  readonly position: bigint | undefined;
}

/** Events applied in one transaction. */
const BATCH_SIZE = 500;

/** The files SQLite may keep beside a database. */
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * history.md's replay: builds every read model the service runs (`readModelProjections`), from
 * the workspace's events up to `until`, into a fresh SQLite file with the read models' own
 * (logical) table names, through the same projection code the service runs. The events come from
 * `GET /export/events` (a workspace token is enough) and are applied a batch at a time as they
 * arrive, so memory holds a batch whatever the log's length.
 *
 * Up to an event time T, the segments' clock ends at T: a time-based exit (or entry) due by T is
 * recorded, dated at its deadline, as the service records it when T comes (its deadline
 * scheduler's tick). Up to a position, the clock ends at the last event's time, as the service's
 * was once it had applied that event.
 *
 * Built beside `out` and renamed to it once whole.
 */
export async function replayInto(options: ReplayOptions): Promise<ReplaySummary> {
  if (existsSync(options.out) && !options.force)
    throw new Error(`${options.out} exists: pass --force to replace it`);
  const query: ExportQuery =
    options.until.kind === 'time'
      ? { to: String(options.until.seconds) }
      : { to_position: options.until.position.toString() };
  const exported = await openExport(options, query);
  const partial = `${options.out}.partial`;
  removeDatabase(partial);
  const bar = new SingleBar({
    stream: options.progress,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    format: `replay [{bar}] {percentage}% | {value}/{total} positions | {events} events{rate}{time_left}`,
  });
  // No rate, so no time left, before anything is measured (rather than `ETA 0s`).
  bar.start(Number(exported.end ?? 0n), 0, { events: 0, rate: '', time_left: '' });
  try {
    const replayed = await replayEvents(partial, exported.lines, options.until, (progress) => {
      bar.setTotal(Number(exported.end ?? progress.position));
      bar.update(Number(progress.position), {
        events: progress.events,
        ...replayRateText(progress, Number(exported.end ?? progress.position)),
      });
    });
    // The export has reached its end, whether or not its last event is there (another
    // workspace's, or a deleted contact's, may be).
    bar.update(bar.getTotal(), { events: replayed.events });
    bar.stop();
    recordReplay(partial, options.until, replayed);
    if (options.force) removeDatabase(options.out);
    renameSync(partial, options.out);
    return replayed;
  } catch (error) {
    bar.stop();
    removeDatabase(partial);
    throw error;
  }
}

/**
 * What the file holds, in a `replay` table of one row: the workspace, the point it was replayed
 * up to, the last position applied and how many events. Then the write-ahead log is folded into
 * the file: one file an analyst can copy.
 */
function recordReplay(file: string, until: ReplayPoint, replayed: ReplaySummary): void {
  const database = new Database(file);
  try {
    database.exec(
      'CREATE TABLE replay (workspace_id TEXT, until_time INTEGER, until_position TEXT, last_position TEXT, events INTEGER NOT NULL)',
    );
    database
      .prepare('INSERT INTO replay VALUES (?, ?, ?, ?, ?)')
      .run(
        replayed.workspaceId ?? null,
        until.kind === 'time' ? until.seconds : null,
        until.kind === 'position' ? until.position.toString() : null,
        replayed.position?.toString() ?? null,
        replayed.events,
      );
    database.pragma('journal_mode = DELETE');
  } finally {
    database.close();
  }
}

function removeDatabase(file: string): void {
  for (const suffix of ['', ...SQLITE_SIDE_FILES]) rmSync(`${file}${suffix}`, { force: true });
}

export interface ReplayProgress {
  readonly events: number;
  readonly position: bigint;
  readonly elapsedMs: number;
}

/**
 * Events/s over the replay so far, and the time left at the pace it has passed log positions
 * (the bar's measure: the export's events are spread over the log, among other workspaces').
 */
export function replayRateText(
  progress: ReplayProgress,
  totalPositions: number,
): { readonly rate: string; readonly time_left: string } {
  const seconds = progress.elapsedMs / 1000;
  const done = Number(progress.position);
  if (seconds <= 0 || done <= 0) return { rate: '', time_left: '' };
  const left = (Math.max(0, totalPositions - done) / done) * seconds;
  return {
    rate: ` | ${Math.round(progress.events / seconds)} events/s`,
    time_left: ` | ETA ${Format.TimeFormat(Math.ceil(left), { autopaddingChar: '' }, 5)}`,
  };
}

/** Applies the export's `lines` to fresh read models in `file`. */
export async function replayEvents(
  file: string,
  lines: AsyncIterable<string>,
  until: ReplayPoint,
  onProgress: (progress: ReplayProgress) => void = () => undefined,
): Promise<ReplaySummary> {
  const store = openSqliteReadStore(file);
  const streams = new ReplayedStreams(`${file}.streams`);
  const projections = readModelProjections(streams).map((projection) => ({
    projection,
    handles: new Set(projection.eventTypes),
  }));
  const logicalNames = (logical: string): string => logical;
  const startedAt = performance.now();
  try {
    for (const { projection } of projections)
      for (const migration of projection.migrations) await migration.up(store.db, logicalNames);
    const apply = (batch: readonly RecordedEvent[]) => {
      streams.record(batch);
      return store.db.transaction().execute(async (tx) => {
        for (const { projection, handles } of projections) {
          const handled = batch.filter((event) => handles.has(event.type));
          if (handled.length > 0) await projection.apply(handled, tx, logicalNames);
        }
      });
    };
    let batch: RecordedEvent[] = [];
    let events = 0;
    let last: RecordedEvent | undefined;
    for await (const line of lines) {
      last = fromExportedEvent(JSON.parse(line) as ExportedEvent);
      batch.push(last);
      events += 1;
      if (batch.length === BATCH_SIZE) {
        await apply(batch);
        batch = [];
        onProgress({ events, position: last.position, elapsedMs: performance.now() - startedAt });
      }
    }
    if (batch.length > 0) await apply(batch);
    if (last !== undefined && until.kind === 'time') await apply([clockAt(last, until.seconds)]);
    if (last !== undefined)
      onProgress({ events, position: last.position, elapsedMs: performance.now() - startedAt });
    return { events, position: last?.position, workspaceId: last?.metadata.workspaceId };
  } finally {
    streams.dispose();
    await store.close();
  }
}

const SEGMENT_CLOCK_TICKED: SegmentClockTicked['type'] = 'SegmentClockTicked';

/**
 * The segment clock reaching `at` after the `last` event replayed, as the service's deadline
 * scheduler ticks it: it is no event of the log (its id says so), and it writes nothing but the
 * changes due by then.
 */
function clockAt(last: RecordedEvent, at: number): RecordedEvent {
  const data: SegmentClockTicked['data'] = { workspaceId: last.metadata.workspaceId, at };
  return {
    id: '00000000-0000-0000-0000-000000000000',
    type: SEGMENT_CLOCK_TICKED,
    data,
    metadata: { workspaceId: last.metadata.workspaceId, occurredAt: at * 1000 },
    streamId: `replay-${last.metadata.workspaceId}.clock`,
    revision: 0n,
    position: last.position,
    recordedAt: new Date(at * 1000),
  };
}
