import {
  START,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
  type Position,
} from '@eventstore/db-client';
import type {
  AllSubscription,
  EventFilter,
  SubscribeOptions,
  SubscriptionMessage,
} from '../../../shared/event-store/event-store.port';
import { EsdbStreamReader } from './esdb-stream-reader';
import {
  decodePosition,
  encodePosition,
  isTransientError,
  matchesFilter,
  toPortError,
  toRecordedEvent,
} from './esdb-mapping';

/** Backoff between resubscribe attempts after a drop: doubles from the first to the last value. */
export interface ResubscribeBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

const DEFAULT_BACKOFF: ResubscribeBackoff = { initialMs: 100, maxMs: 5_000 };

/**
 * Markers pushed into the client's subscription stream from its `caughtUp` and checkpoint
 * callbacks. Pushing them (rather than reacting to the callbacks directly) keeps them in order
 * with the events the stream has already buffered.
 */
interface CaughtUpMarker {
  readonly marker: 'caughtUp';
}
interface CheckpointMarker {
  readonly marker: 'checkpoint';
  readonly position: bigint;
}
type StreamItem = AllStreamResolvedEvent | CaughtUpMarker | CheckpointMarker;

function isMarker(item: StreamItem): item is CaughtUpMarker | CheckpointMarker {
  return 'marker' in item;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Server-side filter: stream prefixes when given (event types are then checked here), else an
 * exact event-type regex, else "no system events". The port filter is always re-applied
 * client-side, so the server filter only has to be a superset.
 */
function serverFilter(
  filter: EventFilter | undefined,
  checkpointReached: Filter['checkpointReached'],
): Filter {
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ prefixes: [...filter.streamPrefixes], checkpointReached });
  }
  if (filter?.eventTypes && filter.eventTypes.length > 0) {
    const alternatives = filter.eventTypes.map(escapeRegex).join('|');
    return eventTypeFilter({ regex: `^(?:${alternatives})$`, checkpointReached });
  }
  return excludeSystemEvents({ checkpointReached });
}

/**
 * A catch-up subscription to `$all` that survives connection drops. The client reconnects its
 * channel but does not resubscribe, so after a drop this resubscribes from the last position the
 * consumer received (an event or a server checkpoint), with exponential backoff.
 *
 * Guarantees: events in `$all` order, no gap and no duplicate across resubscriptions (positions
 * at or before the last delivered one are dropped); `caughtUp` is reported once.
 */
export class EsdbAllSubscription implements AllSubscription {
  private lastPosition: bigint | undefined;
  private current: EsdbStreamReader<StreamItem> | undefined;
  private closed = false;
  private caughtUpReported = false;
  private readonly wake = new Set<() => void>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions = {},
    private readonly backoff: ResubscribeBackoff = DEFAULT_BACKOFF,
  ) {
    this.lastPosition = options.fromPosition;
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return this.messages();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.wake) wake();
    const current = this.current;
    this.current = undefined;
    await current?.release();
  }

  private async *messages(): AsyncGenerator<SubscriptionMessage> {
    let delayMs = this.backoff.initialMs;
    try {
      while (!this.closed) {
        const reader = this.open();
        try {
          for (let item = await reader.next(); item !== undefined; item = await reader.next()) {
            delayMs = this.backoff.initialMs;
            const message = this.accept(item);
            if (message) yield message;
            if (this.closed) return;
          }
        } catch (error) {
          if (this.closed) return;
          if (!isTransientError(error)) throw toPortError(error);
        } finally {
          if (this.current === reader) this.current = undefined;
          await reader.release();
        }
        // The server ended or dropped the call: resubscribe from where the consumer is.
        if (this.closed) return;
        await this.pause(delayMs);
        delayMs = Math.min(delayMs * 2, this.backoff.maxMs);
      }
    } finally {
      await this.close();
    }
  }

  private open(): EsdbStreamReader<StreamItem> {
    const fromPosition: Position | typeof START =
      this.lastPosition === undefined || this.lastPosition === 0n
        ? START
        : decodePosition(this.lastPosition);
    let subscription: AllStreamSubscription | undefined = undefined;
    const checkpointReached = (_: unknown, position: Position): void => {
      subscription?.push({
        marker: 'checkpoint',
        position: encodePosition(position),
      } satisfies CheckpointMarker);
    };
    subscription = this.client.subscribeToAll({
      fromPosition,
      filter: serverFilter(this.options.filter, checkpointReached),
    });
    subscription.on('caughtUp', () => {
      subscription?.push({ marker: 'caughtUp' } satisfies CaughtUpMarker);
    });
    const opened = subscription;
    const reader = new EsdbStreamReader<StreamItem>(opened, () => opened.unsubscribe());
    this.current = reader;
    return reader;
  }

  private accept(item: StreamItem): SubscriptionMessage | undefined {
    if (isMarker(item)) {
      if (item.marker === 'checkpoint') {
        if (this.lastPosition === undefined || item.position > this.lastPosition) {
          this.lastPosition = item.position;
        }
        return undefined;
      }
      if (this.caughtUpReported) return undefined;
      this.caughtUpReported = true;
      return { kind: 'caughtUp', position: this.lastPosition };
    }
    const event = item.event;
    if (!event) return undefined;
    const position = encodePosition(event.position);
    if (this.lastPosition !== undefined && position <= this.lastPosition) return undefined;
    this.lastPosition = position;
    if (!matchesFilter(event, this.options.filter)) return undefined;
    return { kind: 'event', event: toRecordedEvent(event) };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }
}
