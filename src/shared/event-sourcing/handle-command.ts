import { randomUUID } from 'node:crypto';
import type { Decider } from '../decider';
import { WrongExpectedRevision } from '../event-store/event-store.errors';
import type {
  AppendResult,
  EventData,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
} from '../event-store/event-store.port';
import { KeyedSequencer } from '../keyed-sequencer';
import { pauseBeforeRetry } from './retry-pause';
import { streamStateCacheOf, withEventIds, type CachedStreamState } from './stream-state-cache';

/** A domain event as deciders produce and fold them. */
export interface DomainEvent {
  readonly type: string;
  /** A plain JSON object. */
  readonly data: object;
}

/** What `prepare` did for an append, and how to settle it once the append is decided. */
export interface PreparedAppend {
  /** The append failed (a retry decides and prepares again): give back what was taken. */
  readonly undo?: () => Promise<void>;
  /** The append landed. */
  readonly done?: () => Promise<void>;
}

export interface HandleCommandOptions<Event, State = unknown> {
  readonly metadata: EventMetadata;
  /** An event's own metadata, when it is not the command's `metadata` (dated otherwise, say). */
  readonly metadataOf?: (event: Event, metadata: EventMetadata) => EventMetadata;
  /**
   * Deterministic event ids make a retried command idempotent in the store (e.g. UUIDv5 of an
   * idempotency key). Defaults to random UUIDs.
   */
  readonly eventId?: (event: Event, index: number) => string;
  /** Re-read and re-decide this many times on a concurrent write. */
  readonly maxAttempts?: number;
  /**
   * The stream is taken not to exist yet (its id was just generated): the first attempt decides
   * on the initial state without reading. Its append expects no stream, so a wrong guess is
   * refused by the store and the next attempt reads.
   */
  readonly newStream?: boolean;
  /**
   * Work that depends on the state the command is decided on and must be in place before its
   * events are (identity claims): run after each decision, with that state and the events
   * decided, before its append. A retry after a concurrent write undoes it and prepares again on
   * the state it decides on.
   */
  readonly prepare?: (
    decidedOn: State,
    events: readonly Event[],
  ) => Promise<PreparedAppend | undefined>;
}

export interface CommandOutcome<Event, State> {
  readonly events: readonly Event[];
  readonly state: State;
  /** Global position of the last appended event; undefined when the command recorded nothing. */
  readonly position: bigint | undefined;
}

/**
 * Folds a stream with a decider; `revision` is undefined for a stream that does not exist. Always
 * reads the store (callers that decide without appending get no expected-revision check to catch
 * a stale state), but only past the fold the stream state cache holds, and leaves the new fold
 * there for the next command.
 */
export async function loadState<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
): Promise<{ state: State; revision: bigint | undefined }> {
  const { state, revision } = await readFold(store, streamId, decider);
  return { state, revision };
}

async function readFold<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
): Promise<{ state: State; revision: bigint | undefined; eventIds: Set<string> }> {
  const cache = streamStateCacheOf(store);
  const cached = cache.get<State>(streamId, decider);
  // A fold of thousands of events (a user's data events) costs milliseconds of the one thread on
  // every command that reads it: the cached fold is carried on with the events after it.
  let state = cached?.state ?? decider.initialState();
  let revision = cached?.revision;
  const eventIds = cached?.eventIds ?? new Set<string>();
  const after = revision === undefined ? {} : { fromRevision: revision + 1n };
  for await (const recorded of store.readStream(streamId, after)) {
    // Not the next revision: the stream was cut since (never in this domain); fold it whole.
    if (revision !== undefined && recorded.revision !== revision + 1n) {
      cache.delete(streamId);
      return readFold(store, streamId, decider);
    }
    state = decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
    revision = recorded.revision;
    eventIds.add(recorded.id);
  }
  if (revision !== undefined) cache.set(streamId, decider, { state, revision, eventIds });
  return { state, revision, eventIds };
}

/**
 * Decides on the cached fold of the stream when there is one, else on a fresh read (which fills
 * the cache). A refusal or a no-op decided on a cached fold is decided again on a fresh read:
 * neither appends, so no expected-revision check would catch a fold that a write elsewhere made
 * stale, and both are rare enough on the hot path that the read costs nothing overall.
 */
async function loadAndDecide<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
): Promise<{
  state: State;
  revision: bigint | undefined;
  eventIds?: Set<string>;
  events: readonly Event[];
}> {
  const cached: CachedStreamState<State> | undefined = streamStateCacheOf(store).get(
    streamId,
    decider,
  );
  if (cached !== undefined) {
    try {
      const events = decider.decide(command, cached.state);
      if (events.length > 0) return { ...cached, events };
    } catch {
      // Refused on the cached fold: the fresh read below decides (and refuses) for real.
    }
  }
  const loaded = await readFold(store, streamId, decider);
  return { ...loaded, events: decider.decide(command, loaded.state) };
}

function decideOnNewStream<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  command: Command,
): { state: State; revision: undefined; eventIds?: Set<string>; events: readonly Event[] } {
  const state = decider.initialState();
  return { state, revision: undefined, events: decider.decide(command, state) };
}

/**
 * The whole command-handling shell: read the stream (or take its cached fold), fold it, decide,
 * append with the revision that was read. On a concurrent write it drops the cached fold,
 * re-reads and re-decides (bounded); domain refusals propagate unchanged. Handlers hold no
 * business logic beyond building the command.
 */
export function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<Event, State>,
): Promise<CommandOutcome<Event, State>> {
  return writersOf(store).run([streamId], () =>
    decideAndAppend(store, streamId, decider, command, options),
  );
}

/**
 * Commands on one stream in this process run one after another: concurrent requests on one
 * contact (or one workspace's definitions) would otherwise race for the same revision, and all
 * but one per round would re-read, until the bounded retries ran out. Retries remain for writers
 * in other processes.
 */
const writers = new WeakMap<EventStore, KeyedSequencer>();

/**
 * Runs `task` in the queue of this process's commands on `streamId` (see `handleCommand`): for a
 * writer that reads, decides and appends on its own (ingestion), so it never races them. `task`
 * must not itself run a command on that stream: it would wait for itself.
 */
export function inStreamQueue<T>(
  store: EventStore,
  streamId: string,
  task: () => Promise<T>,
): Promise<T> {
  return writersOf(store).run([streamId], task);
}

function writersOf(store: EventStore): KeyedSequencer {
  let sequencer = writers.get(store);
  if (sequencer === undefined) {
    sequencer = new KeyedSequencer();
    writers.set(store, sequencer);
  }
  return sequencer;
}

async function decideAndAppend<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<Event, State>,
): Promise<CommandOutcome<Event, State>> {
  const maxAttempts = options.maxAttempts ?? 5;
  const cache = streamStateCacheOf(store);
  for (let attempt = 1; ; attempt += 1) {
    const { state, revision, eventIds, events } =
      attempt === 1 && options.newStream
        ? decideOnNewStream(decider, command)
        : await loadAndDecide(store, streamId, decider, command);
    if (events.length === 0) return { events, state, position: undefined };
    const expectedRevision: ExpectedRevision = revision ?? 'no_stream';
    const toAppend: NewEvent[] = events.map((event, index) => ({
      id: options.eventId?.(event, index) ?? randomUUID(),
      type: event.type,
      data: event.data as EventData,
      metadata: options.metadataOf?.(event, options.metadata) ?? options.metadata,
    }));
    const prepared = await options.prepare?.(state, events);
    let result: AppendResult;
    try {
      result = await store.append(streamId, toAppend, { expectedRevision });
    } catch (error) {
      // Whatever the cache held may be what lost the race: the next attempt reads the store.
      cache.delete(streamId);
      await prepared?.undo?.();
      if (error instanceof WrongExpectedRevision && attempt < maxAttempts) {
        await pauseBeforeRetry(attempt);
        continue;
      }
      throw error;
    }
    const next = events.reduce(decider.evolve, state);
    cache.set(streamId, decider, {
      state: next,
      revision: result.nextExpectedRevision,
      eventIds: withEventIds(eventIds, toAppend),
    });
    await prepared?.done?.();
    return { events, state: next, position: result.position };
  }
}
