import { EventLogBehindCheckpoint } from '../../shared/event-store/event-store.errors';
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
} from '../../shared/event-store/event-store.port';

/** What the guard asks about the log (the projection runner answers). */
export interface LogContinuityCheck {
  /**
   * Why writes are refused now: a read model's checkpoint is past the log's head (found by the
   * last check, whichever instance runs it); else undefined. Reads nothing.
   */
  logBehind(): EventLogBehindCheckpoint | undefined;
  /**
   * Compares the log's head with every read model's checkpoint now, stopping the running ones
   * past it; answers the head.
   */
  checkLogHead(): Promise<bigint>;
}

/**
 * The event store as writers use it: appends are refused while the log is behind a read model's
 * checkpoint (the store replaced, or restored from an older copy), rather than accepted into a
 * log no read model follows. Positions never move back in a real log: an append answered at or
 * below a position this process was answered before it was asked has the log checked (an
 * idempotent retry, answered at its first position, passes the check; appends answered out of
 * order, each after the last answer known when it was asked, do not trigger it).
 *
 * The projection runner reads through `log`, unguarded: a rebuild from the log is the way out, and
 * its process managers append as it goes.
 */
export class ContinuityGuardedEventStore implements EventStore {
  private check: LogContinuityCheck | undefined;
  /** The highest position an append was answered (since the log was last found moved back). */
  private highest = 0n;

  constructor(readonly log: EventStore) {}

  get exclusiveToThisProcess(): boolean {
    return this.log.exclusiveToThisProcess;
  }

  /** Until called, appends go through unchecked (nothing projects the log yet). */
  consult(check: LogContinuityCheck): void {
    this.check = check;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const behind = this.check?.logBehind();
    if (behind) throw behind;
    const committedBefore = this.highest;
    const result = await this.log.append(streamId, events, options);
    if (result.position > this.highest) this.highest = result.position;
    if (result.position > committedBefore || this.check === undefined) return result;
    let head: bigint;
    try {
      head = await this.check.checkLogHead();
    } catch {
      // The store stopped answering just after it stored this: the next check tells.
      return result;
    }
    const found = this.check.logBehind();
    if (found) throw found.afterStoring();
    // Moved back, but past no read model's checkpoint: this is the log from now on.
    if (this.log.commitsAfter(committedBefore, head)) this.highest = head;
    return result;
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.log.readStream(streamId, options);
  }

  readFirstEvents(streamIds: readonly string[]): Promise<Map<string, RecordedEvent>> {
    return this.log.readFirstEvents(streamIds);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.log.readAll(options);
  }

  subscribeToAll(options?: SubscribeOptions): AllSubscription {
    return this.log.subscribeToAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.log.headPosition();
  }

  logEnd(): Promise<bigint> {
    return this.log.logEnd();
  }

  positionEventsBefore(position: bigint, events: number): bigint {
    return this.log.positionEventsBefore(position, events);
  }

  eventsBetween(from: bigint, to: bigint): bigint {
    return this.log.eventsBetween(from, to);
  }

  commitsAfter(position: bigint, head: bigint): boolean {
    return this.log.commitsAfter(position, head);
  }

  deleteStream(
    streamId: string,
    options?: { readonly expectedRevision?: ExpectedRevision },
  ): Promise<void> {
    return this.log.deleteStream(streamId, options);
  }

  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    return this.log.setStreamMetadata(streamId, metadata);
  }

  getStreamMetadata(streamId: string): Promise<StreamMetadata> {
    return this.log.getStreamMetadata(streamId);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
