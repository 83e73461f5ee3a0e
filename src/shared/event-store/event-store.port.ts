/**
 * The event store port. Every adapter (embedded SQLite, EventStoreDB) implements exactly these
 * semantics; `test/integration/event-store.conformance.ts` is the executable definition.
 *
 * - Revisions start at 0 and are contiguous per stream.
 * - Positions are global, strictly increasing in commit order, and exclusive when used as a start
 *   (`fromPosition: p` yields events after `p`). They serialize as decimal strings.
 * - A missing stream reads as empty (no `StreamNotFound` anywhere).
 */
export const EVENT_STORE = Symbol('EVENT_STORE');

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Cross-cutting facts carried by every event. */
export interface EventMetadata {
  readonly workspaceId: string;
  /** Event time as unix milliseconds (when it happened, not when it was stored). */
  readonly occurredAt: number;
  readonly schemaVersion?: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: string;
  readonly [key: string]: unknown;
}

/** Who or what caused an event (`actor`: `api`, `messenger`, …) and the request or item. */
export type EventCause = Pick<EventMetadata, 'actor' | 'causationId'>;

/** The cause `metadata` names, for the events a step it causes writes elsewhere. */
export const causeOf = ({ actor, causationId }: EventMetadata): EventCause => ({
  ...(actor !== undefined ? { actor } : {}),
  ...(causationId !== undefined ? { causationId } : {}),
});

export type EventData = Readonly<Record<string, unknown>>;

/** An event as a command handler proposes it. `id` is a UUID; deterministic ids make retries idempotent. */
export interface NewEvent<TType extends string = string, TData extends EventData = EventData> {
  readonly id: string;
  readonly type: TType;
  readonly data: TData;
  readonly metadata: EventMetadata;
}

/** An event as the store recorded it. */
export interface RecordedEvent<
  TType extends string = string,
  TData extends EventData = EventData,
> extends NewEvent<TType, TData> {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly recordedAt: Date;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event now in the stream (pass it as the next expected revision). */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last appended event. */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  /** Inclusive. Defaults to the first (forwards) or last (backwards) event. */
  readonly fromRevision?: bigint;
  readonly direction?: 'forwards' | 'backwards';
  readonly maxCount?: number;
}

/** Which events of `$all` to deliver. System streams (`$`-prefixed) are always excluded. */
export interface EventFilter {
  readonly streamPrefixes?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Defaults to the start of the log. */
  readonly fromPosition?: bigint;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Exclusive. Defaults to the start of the log. */
  readonly fromPosition?: bigint;
  readonly filter?: EventFilter;
}

/**
 * A catch-up subscription to `$all`: it replays history, emits `caughtUp` once it has reached
 * the head, then stays live. No gap and no duplicate within one subscription; a consumer that
 * resubscribes from its own checkpoint may see events after it again (at-least-once).
 */
export interface AllSubscription extends AsyncIterable<SubscriptionMessage> {
  close(): Promise<void>;
}

export type SubscriptionMessage =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  | { readonly kind: 'caughtUp'; readonly position: bigint | undefined };

export interface StreamMetadata {
  /** Seconds. */
  readonly maxAge?: number;
  readonly maxCount?: number;
  /** Events with a lower revision are no longer readable. */
  readonly truncateBefore?: bigint;
  readonly [key: string]: unknown;
}

/** What a stored event takes on EventStoreDB's log, for `positionEventsBefore`'s estimate. */
export const ESTIMATED_EVENT_BYTES = 1024n;

export interface EventStore {
  /**
   * No other process can append while this one has the store open (the embedded store's exclusive
   * lock): a write that another process began and never finished was left by one that has ended.
   * False where several instances share the store (EventStoreDB).
   */
  readonly exclusiveToThisProcess: boolean;
  append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * The first readable event of each of `streamIds` that has one (what `readStream` with
   * `maxCount: 1` would yield), keyed by stream id: a missing or empty stream has no entry. One
   * round trip for many streams, for callers that look up many short streams at once.
   */
  readFirstEvents(streamIds: readonly string[]): Promise<Map<string, RecordedEvent>>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): AllSubscription;
  /** Position of the last event in `$all` (0n when the log is empty). */
  headPosition(): Promise<bigint>;
  /**
   * Position of the log's last record, those this port never shows included (EventStoreDB's
   * system records, which it writes by itself): a subscription's checkpoint may lie past
   * `headPosition` but never past this, unless the store was replaced. 0n when empty.
   */
  logEnd(): Promise<bigint>;
  /**
   * A position about `events` events before `position`, found without reading (for lag bounds):
   * exact where positions count events (the embedded store); where they are byte offsets
   * (EventStoreDB), `events` events of `ESTIMATED_EVENT_BYTES` each.
   */
  positionEventsBefore(position: bigint, events: number): bigint;
  /**
   * About how many events lie after `from` up to `to` (for lag figures), found without reading:
   * exact on the embedded store; on EventStoreDB, the log bytes between them in events of
   * `ESTIMATED_EVENT_BYTES` each (at least 1 when `to` is past `from`).
   */
  eventsBetween(from: bigint, to: bigint): bigint;
  /**
   * Whether `position` (a checkpoint) was committed after `head` (a head read after it): never, in
   * a log that was not replaced. Compares commits: on EventStoreDB, the commit position alone, as
   * a checkpoint the server reports at a commit may pair it with another prepare position than
   * the commit's last event has.
   */
  commitsAfter(position: bigint, head: bigint): boolean;
  /**
   * Soft delete (EventStoreDB semantics): the stream reads as empty from now on; appending to it
   * again continues after its last revision. Events already in `$all` stay there (erasure of
   * payloads is a separate concern).
   */
  deleteStream(
    streamId: string,
    options?: { readonly expectedRevision?: ExpectedRevision },
  ): Promise<void>;
  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void>;
  getStreamMetadata(streamId: string): Promise<StreamMetadata>;
  close(): Promise<void>;
}

/** The last event of a stream; undefined when it has none (or does not exist). */
export async function lastEventOf(
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
): Promise<RecordedEvent | undefined> {
  for await (const event of store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))
    return event;
  return undefined;
}

/**
 * The highest log position: EventStoreDB's positions are two 64-bit numbers (commit, prepare),
 * packed into one of 128 bits (`esdb-mapping.ts`), 39 digits at most.
 */
export const MAX_LOG_POSITION = 2n ** 128n - 1n;
