import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type ResolvedEvent,
  type StreamMetadata as EsdbStreamMetadata,
} from '@eventstore/db-client';
import { WrongExpectedRevision } from '../../../shared/event-store/event-store.errors';
import type {
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeOptions,
} from '../../../shared/event-store/event-store.port';
import { ESTIMATED_EVENT_BYTES, lastEventOf } from '../../../shared/event-store/event-store.port';
import { EsdbAllSubscription, type ResubscribeBackoff } from './esdb-all-subscription';
import {
  decodePosition,
  encodePosition,
  isSystemEvent,
  isTransientError,
  matchesFilter,
  toPortError,
  toRecordedEvent,
} from './esdb-mapping';
import { readItems } from './esdb-stream-reader';

export interface EsdbEventStoreOptions {
  /** Attempts for an append when the connection fails (same event ids, so retries are idempotent). */
  readonly appendAttempts?: number;
  readonly retryBackoff?: ResubscribeBackoff;
  /** A read that receives nothing this long fails as unavailable (default 10 s, as appends). */
  readonly readIdleMs?: number;
}

/** Page size for `$all` reads that filter client-side (the client's `readAll` has no server filter). */
const ALL_PAGE_SIZE = 512;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * More than one record of the log can take: EventStoreDB refuses an event over 16 MiB (its chunk
 * limit); its headers and metadata fit in the next MiB.
 */
const LONGEST_RECORD_BYTES = 17n * 1024n * 1024n;

/**
 * The `EventStore` port on EventStoreDB (gRPC, `@eventstore/db-client`). Positions are ESDB's
 * `{commit, prepare}` packed into one bigint (see `encodePosition`). A missing or soft-deleted
 * stream reads as empty.
 */
export class EsdbEventStore implements EventStore {
  readonly exclusiveToThisProcess = false;
  private readonly appendAttempts: number;
  private readonly backoff: ResubscribeBackoff;
  private readonly readIdleMs: number;

  private constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions,
  ) {
    this.appendAttempts = options.appendAttempts ?? 3;
    this.backoff = options.retryBackoff ?? { initialMs: 100, maxMs: 5_000 };
    this.readIdleMs = options.readIdleMs ?? 10_000;
  }

  /** e.g. `EsdbEventStore.connect('esdb://127.0.0.1:2113?tls=false')`. The channel opens lazily. */
  static async connect(
    connectionString: string,
    options: EsdbEventStoreOptions = {},
  ): Promise<EsdbEventStore> {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const proposed = events.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      }),
    );
    const expectedRevision: AppendExpectedRevision = options.expectedRevision;
    let delayMs = this.backoff.initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.appendToStream(streamId, proposed, { expectedRevision });
        // Idempotent (duplicate) appends may come back without a position, or with -1.
        const position =
          result.position && result.position.commit >= 0n && result.position.prepare >= 0n
            ? encodePosition(result.position)
            : await this.positionOf(streamId, result.nextExpectedRevision);
        return { nextExpectedRevision: result.nextExpectedRevision, position };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          throw new WrongExpectedRevision(
            streamId,
            options.expectedRevision,
            actualRevision(error.actualVersion),
          );
        }
        // Retrying with the same ids and expected revision is idempotent on the server.
        if (!isTransientError(error) || attempt >= this.appendAttempts) throw toPortError(error);
      }
      await delay(delayMs);
      delayMs = Math.min(delayMs * 2, this.backoff.maxMs);
    }
  }

  async *readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    if (options.maxCount !== undefined && options.maxCount <= 0) return;
    const reading = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    try {
      for await (const resolved of readItems<ResolvedEvent>(reading, this.readIdleMs)) {
        if (resolved.event) yield toRecordedEvent(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw toPortError(error);
    }
  }

  async readFirstEvents(streamIds: readonly string[]): Promise<Map<string, RecordedEvent>> {
    const found = new Map<string, RecordedEvent>();
    // The client multiplexes concurrent reads over one connection: one request per stream.
    await Promise.all(
      [...new Set(streamIds)].map(async (streamId) => {
        for await (const event of this.readStream(streamId, { maxCount: 1 })) {
          found.set(streamId, event);
        }
      }),
    );
    return found;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.fromPosition;
    while (remaining > 0) {
      // ESDB reads $all from a position inclusively; the port is exclusive, so skip `after` itself.
      const page = this.client.readAll({
        direction: FORWARDS,
        fromPosition: after === undefined || after === 0n ? START : decodePosition(after),
        maxCount: ALL_PAGE_SIZE,
      });
      let read = 0;
      try {
        for await (const resolved of readItems<AllStreamResolvedEvent>(page, this.readIdleMs)) {
          read++;
          const event = resolved.event;
          if (!event) continue;
          const position = encodePosition(event.position);
          if (after !== undefined && position <= after) continue;
          after = position;
          if (!matchesFilter(event, options.filter)) continue;
          yield toRecordedEvent(event);
          if (--remaining <= 0) return;
        }
      } catch (error) {
        throw toPortError(error);
      }
      if (read < ALL_PAGE_SIZE) return;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    return new EsdbAllSubscription(this.client, options, this.backoff);
  }

  /** Position of the last non-system event (system events are invisible through this port). */
  /** Commit positions are byte offsets in the log: `events` events of an estimated size back. */
  positionEventsBefore(position: bigint, events: number): bigint {
    const { commit } = decodePosition(position);
    const back = BigInt(events) * ESTIMATED_EVENT_BYTES;
    return commit > back ? encodePosition({ commit: commit - back, prepare: commit - back }) : 0n;
  }

  /**
   * A position of prepare 0 is a boundary the server reports where a read ended (a subscription's
   * catch-up checkpoint): just after the record read last, its post position, where no record
   * begins if the log ends there. It is past the head's commit only by more than a record can
   * span: closer, it may be the end of the head's own record. (A log replaced by one ending less
   * than that before such a checkpoint goes unnoticed.)
   */
  commitsAfter(position: bigint, head: bigint): boolean {
    const checkpoint = decodePosition(position);
    const { commit } = decodePosition(head);
    if (checkpoint.prepare === 0n && checkpoint.commit > 0n)
      return checkpoint.commit - commit > LONGEST_RECORD_BYTES;
    return checkpoint.commit > commit;
  }

  eventsBetween(from: bigint, to: bigint): bigint {
    if (to <= from) return 0n;
    const bytes = decodePosition(to).commit - decodePosition(from).commit;
    const events = (bytes + ESTIMATED_EVENT_BYTES - 1n) / ESTIMATED_EVENT_BYTES;
    return events > 0n ? events : 1n;
  }

  async headPosition(): Promise<bigint> {
    const pageSize = 64;
    let before: bigint | undefined;
    for (;;) {
      const page = this.client.readAll({
        direction: BACKWARDS,
        fromPosition: before === undefined ? END : decodePosition(before),
        maxCount: pageSize,
      });
      let read = 0;
      try {
        for await (const resolved of readItems<AllStreamResolvedEvent>(page, this.readIdleMs)) {
          read++;
          const event = resolved.event;
          if (!event) continue;
          before = encodePosition(event.position);
          if (!isSystemEvent(event)) return before;
        }
      } catch (error) {
        throw toPortError(error);
      }
      if (read < pageSize) return 0n;
    }
  }

  async logEnd(): Promise<bigint> {
    const last = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    try {
      for await (const resolved of readItems<AllStreamResolvedEvent>(last, this.readIdleMs)) {
        if (resolved.event) return encodePosition(resolved.event.position);
      }
    } catch (error) {
      throw toPortError(error);
    }
    return 0n;
  }

  async deleteStream(
    streamId: string,
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<void> {
    const expected = options.expectedRevision ?? 'any';
    try {
      if (expected === 'stream_exists') {
        // The client's delete has no "stream exists" option: check, then delete at that revision.
        const last = await this.lastRevision(streamId);
        if (last === undefined) throw new WrongExpectedRevision(streamId, expected, 'no_stream');
        await this.client.deleteStream(streamId, { expectedRevision: last });
        return;
      }
      await this.client.deleteStream(streamId, { expectedRevision: expected });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevision(streamId, expected, actualRevision(error.actualVersion));
      }
      if (error instanceof StreamNotFoundError) return;
      throw toPortError(error);
    }
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    const { truncateBefore, ...rest } = metadata;
    const esdbMetadata: EsdbStreamMetadata = {
      ...rest,
      ...(truncateBefore === undefined ? {} : { truncateBefore: Number(truncateBefore) }),
    };
    try {
      await this.client.setStreamMetadata(streamId, esdbMetadata);
    } catch (error) {
      throw toPortError(error);
    }
  }

  async getStreamMetadata(streamId: string): Promise<StreamMetadata> {
    try {
      const { metadata } = await this.client.getStreamMetadata(streamId);
      if (!metadata) return {};
      const { truncateBefore, acl: _acl, cacheControl: _cacheControl, ...rest } = metadata;
      return {
        ...dropUndefined(rest),
        ...(typeof truncateBefore === 'number' ? { truncateBefore: BigInt(truncateBefore) } : {}),
      };
    } catch (error) {
      throw toPortError(error);
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async lastRevision(streamId: string): Promise<bigint | undefined> {
    return (await lastEventOf(this, streamId))?.revision;
  }

  /** The `$all` position of the event at `revision` (for appends answered without one). */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    for await (const event of this.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
      return event.position;
    }
    throw new Error(`Stream ${streamId} has no event at revision ${revision}`);
  }
}

function actualRevision(actual: bigint | string | undefined): bigint | 'no_stream' {
  return typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';
}

function dropUndefined(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
