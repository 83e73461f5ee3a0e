import { setTimeout as delay } from 'node:timers/promises';
import { isDamagedStorage, isStoreUnreachable } from '../shared/storage-errors';
import type {
  AllSubscription,
  EventStore,
  RecordedEvent,
} from '../shared/event-store/event-store.port';
import type { AnyProjection } from './projection';
import {
  resolverFor,
  withBuildTables,
  type ProjectionBuild,
  type ProjectionRegistry,
} from './projection-registry';
import { SubscriptionBatcher } from './subscription-batcher';
import { ApplyPace } from './apply-pace';

export type FeedPhase = 'idle' | 'catching_up' | 'live' | 'failed' | 'stopped';

/** Why a projection stopped: the event it could not apply, after every retry. */
export interface ProjectionFailure {
  /** The event it failed on; none when the event store itself failed it (see `isDamagedStorage`). */
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly position: bigint;
  readonly error: string;
  readonly attempts: number;
  readonly at: Date;
}

/** Minimal logging surface (adapt Nest's Logger or pino to it). */
export interface RunnerLogger {
  info(message: string, context?: Readonly<Record<string, unknown>>): void;
  warn(message: string, context?: Readonly<Record<string, unknown>>): void;
  error(message: string, context?: Readonly<Record<string, unknown>>): void;
}

export interface FeedSettings {
  readonly batchSize: number;
  /** Attempts per event once a batch has failed, before the projection stops as `failed`. */
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly now: () => Date;
  readonly logger: RunnerLogger;
}

class PoisonEvent extends Error {
  constructor(readonly failure: ProjectionFailure) {
    super(failure.error);
  }
}

class FeedStopped extends Error {}

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Feeds one build of one projection from its checkpoint: catch-up, then live. Each batch's
 * writes and the checkpoint commit in one transaction (exactly-once effect on the read model);
 * events at or below the checkpoint are dropped, since delivery is at-least-once.
 */
export class ProjectionFeed {
  phase: FeedPhase = 'idle';
  checkpoint = 0n;
  failure: ProjectionFailure | undefined;
  /** How fast this feed has worked through waiting events lately (for ingestion's backpressure). */
  readonly pace = new ApplyPace();

  private stopping = false;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private subscription: AllSubscription | undefined;
  private batcher: SubscriptionBatcher | undefined;
  private caughtUpOnce = false;
  private startedFrom = 0n;

  constructor(
    private readonly eventStore: EventStore,
    private readonly registry: ProjectionRegistry,
    readonly projection: AnyProjection,
    readonly build: ProjectionBuild,
    private readonly settings: FeedSettings,
    private readonly hooks: {
      /** After each committed batch or phase change. */
      readonly onProgress: () => void;
      /**
       * Once, when the feed first reaches the head (awaited: the feed waits for it);
       * `filledFromEmpty`: it started from position 0, so its tables were just filled in bulk.
       */
      readonly onFirstCaughtUp?: (filledFromEmpty: boolean) => Promise<void>;
    },
  ) {}

  /** (Re)starts from the stored checkpoint; clears a previous failure. */
  async start(): Promise<void> {
    if (this.running) await this.stop();
    this.stopping = false;
    this.abort = new AbortController();
    this.failure = undefined;
    this.checkpoint = await this.registry.readCheckpoint(this.projection.name, this.build.id);
    this.startedFrom = this.checkpoint;
    this.setPhase('catching_up');
    this.running = this.run();
  }

  /** Stops after the batch in flight (committed or rolled back); never leaves a transaction open. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.batcher?.stop();
    await this.subscription?.close();
    await this.running;
    this.running = undefined;
    if (this.phase !== 'failed') this.setPhase('stopped');
  }

  /**
   * Applies, to a feed that is not running, the events it handles after its checkpoint up to
   * `position` and none past it, in batches committed as a running feed commits them; rejects on
   * an event it cannot apply. Brings a build to exactly the point another one has reached.
   */
  async applyThrough(position: bigint): Promise<void> {
    if (this.running) throw new Error(`Feed of ${this.projection.name} is running`);
    let batch: RecordedEvent[] = [];
    for await (const event of this.eventStore.readAll({
      fromPosition: this.checkpoint,
      filter: { eventTypes: this.projection.eventTypes },
    })) {
      if (event.position > position) break;
      batch.push(event);
      if (batch.length >= this.settings.batchSize) {
        await this.commit(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.commit(batch);
  }

  private async run(): Promise<void> {
    let resubscribes = 0;
    while (!this.stopping) {
      const subscription = this.eventStore.subscribeToAll({
        fromPosition: this.checkpoint,
        filter: { eventTypes: this.projection.eventTypes },
      });
      const batcher = new SubscriptionBatcher(subscription, this.settings.batchSize);
      this.subscription = subscription;
      this.batcher = batcher;
      try {
        // While batches are ready one after another, the time between commits is all work
        // (reading included); a wait for the log to grow is not.
        let workSince: number | undefined;
        for (;;) {
          if (!batcher.ready) workSince = undefined;
          const batch = await batcher.next();
          if (this.stopping) return;
          workSince ??= performance.now();
          const fresh = batch.events.filter((event) => event.position > this.checkpoint);
          if (fresh.length > 0) {
            const from = this.checkpoint;
            await this.commit(fresh);
            const committedAt = performance.now();
            this.pace.record(
              Number(this.eventStore.eventsBetween(from, this.checkpoint)),
              committedAt - workSince,
            );
            workSince = committedAt;
            resubscribes = 0;
          }
          if (batch.caughtUp) await this.reachedHead(batch.caughtUp.position);
          // A catch-up has its next batch read ahead, and SQLite answers synchronously: without
          // a turn of the event loop between batches, a replay starves every request (health
          // included) until it ends. (At the head, the phase changes first: a waiter woken by
          // this commit then reads the feed live.)
          else if (fresh.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          if (batch.ended) {
            if (batch.failure && isDamagedStorage(batch.failure.error)) {
              // No resubscription reads a damaged file whole again: stop, and say so.
              throw new PoisonEvent({
                eventId: undefined,
                eventType: undefined,
                position: this.checkpoint,
                error: `the event store is damaged past position ${this.checkpoint}: ${errorText(batch.failure.error)}`,
                attempts: 1,
                at: this.settings.now(),
              });
            }
            if (batch.failure)
              this.warn(
                'subscription failed; resubscribing from the checkpoint',
                batch.failure.error,
              );
            break;
          }
        }
      } catch (error) {
        if (error instanceof PoisonEvent) {
          this.failure = error.failure;
          this.settings.logger.error(`Projection ${this.projection.name} failed`, {
            ...error.failure,
            position: error.failure.position.toString(),
          });
          this.setPhase('failed');
          return;
        }
        if (this.stopping || error instanceof FeedStopped) return;
        this.warn('feed error; resubscribing from the checkpoint', error);
      } finally {
        batcher.stop();
        await subscription.close();
      }
      resubscribes += 1;
      if (!(await this.pause(this.backoff(resubscribes)))) return;
    }
  }

  /**
   * The whole batch in one transaction; if it fails, each event alone, retried with backoff, so
   * the event that cannot be applied is identified and everything before it still lands. A store
   * that cannot be reached fails no event: the feed waits it out (see `commitOutlastingOutages`).
   */
  private async commit(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length > 1) {
      try {
        await this.commitOutlastingOutages(events);
        return;
      } catch (error) {
        if (error instanceof FeedStopped) throw error;
        this.warn(
          `batch of ${events.length} failed and was rolled back; applying its events one by one`,
          error,
        );
      }
    }
    for (const event of events) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.commitOutlastingOutages([event]);
          break;
        } catch (error) {
          if (error instanceof FeedStopped) throw error;
          if (attempt >= this.settings.maxAttempts) {
            throw new PoisonEvent({
              eventId: event.id,
              eventType: event.type,
              position: event.position,
              error: error instanceof Error ? error.message : String(error),
              attempts: attempt,
              at: this.settings.now(),
            });
          }
          this.warn(
            `event ${event.id} failed (attempt ${attempt}/${this.settings.maxAttempts}); retrying`,
            error,
          );
          if (!(await this.pause(this.backoff(attempt)))) throw new FeedStopped();
        }
      }
    }
  }

  /**
   * Commits the events, again and again with backoff for as long as a store is unreachable (an
   * event store a process manager appends to, or the read store): an outage is no fault of the
   * event, and counting it among a poison event's attempts would fail the projection for good
   * over a store restarting. Meanwhile the projection keeps its state and its lag grows, as when
   * its subscription drops; each attempt is logged. Any other error is the caller's to retry.
   */
  private async commitOutlastingOutages(events: readonly RecordedEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.commitInTransaction(events);
        return;
      } catch (error) {
        if (!isStoreUnreachable(error)) throw error;
        const delayMs = this.backoff(attempt);
        this.warn(`a store is unreachable; applying again in ${delayMs} ms`, error);
        if (!(await this.pause(delayMs))) throw new FeedStopped();
      }
    }
  }

  /**
   * Applies the events the build has not applied yet: another feed of this build may have committed
   * some meanwhile (one whose lock went with a dropped session, still finishing its batch), and
   * a projection's counts are deltas that must not be added twice.
   */
  private async commitInTransaction(events: readonly RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (last === undefined) return;
    const reached = await this.registry.db.transaction().execute(async (tx) => {
      const applied = await this.registry.lockCheckpoint(tx, this.projection.name, this.build);
      if (applied >= last.position) return applied;
      await this.projection.apply(
        events.filter((event) => event.position > applied),
        withBuildTables(tx, this.build),
        resolverFor<Record<string, object>>(this.projection.name, this.build),
      );
      await this.registry.writeCheckpoint(tx, this.projection.name, this.build, last.position);
      return last.position;
    });
    this.checkpoint = reached;
    this.hooks.onProgress();
  }

  /**
   * Everything up to the head has been delivered: moving the checkpoint there spares a restart
   * from rescanning events this projection does not handle.
   */
  private async reachedHead(position: bigint | undefined): Promise<void> {
    if (position !== undefined && position > this.checkpoint) {
      this.checkpoint = await this.registry.db.transaction().execute(async (tx) => {
        const applied = await this.registry.lockCheckpoint(tx, this.projection.name, this.build);
        if (applied >= position) return applied;
        await this.registry.writeCheckpoint(tx, this.projection.name, this.build, position);
        return position;
      });
    }
    this.setPhase('live');
    if (!this.caughtUpOnce) {
      this.caughtUpOnce = true;
      await this.hooks.onFirstCaughtUp?.(this.startedFrom === 0n);
    }
  }

  private backoff(attempt: number): number {
    return Math.min(
      this.settings.retryMaxDelayMs,
      this.settings.retryBaseDelayMs * 2 ** (attempt - 1),
    );
  }

  /** Resolves false when the feed is being stopped. */
  private async pause(ms: number): Promise<boolean> {
    try {
      await delay(ms, undefined, { signal: this.abort.signal });
      return !this.stopping;
    } catch {
      return false;
    }
  }

  private setPhase(phase: FeedPhase): void {
    this.phase = phase;
    this.hooks.onProgress();
  }

  private warn(message: string, error: unknown): void {
    this.settings.logger.warn(`Projection ${this.projection.name} (${this.build.id}): ${message}`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
