import { randomUUID } from 'node:crypto';
import type { Decider } from '../decider';
import { WrongExpectedRevision } from '../event-store/event-store.errors';
import type {
  EventData,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
} from '../event-store/event-store.port';

/** A domain event as deciders produce and fold them. */
export interface DomainEvent {
  readonly type: string;
  /** A plain JSON object. */
  readonly data: object;
}

export interface HandleCommandOptions<Event> {
  readonly metadata: EventMetadata;
  /**
   * Deterministic event ids make a retried command idempotent in the store (e.g. UUIDv5 of an
   * idempotency key). Defaults to random UUIDs.
   */
  readonly eventId?: (event: Event, index: number) => string;
  /** Re-read and re-decide this many times on a concurrent write. */
  readonly maxAttempts?: number;
}

export interface CommandOutcome<Event, State> {
  readonly events: readonly Event[];
  readonly state: State;
  /** Global position of the last appended event; undefined when the command recorded nothing. */
  readonly position: bigint | undefined;
}

/** Folds a stream with a decider; `revision` is undefined for a stream that does not exist. */
export async function loadState<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
): Promise<{ state: State; revision: bigint | undefined }> {
  let state = decider.initialState();
  let revision: bigint | undefined;
  for await (const recorded of store.readStream(streamId)) {
    state = decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
    revision = recorded.revision;
  }
  return { state, revision };
}

/**
 * The whole command-handling shell: read the stream, fold it, decide, append with the revision
 * that was read. On a concurrent write it re-reads and re-decides (bounded); domain refusals
 * propagate unchanged. Handlers hold no business logic beyond building the command.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<Event>,
): Promise<CommandOutcome<Event, State>> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    const { state, revision } = await loadState(store, streamId, decider);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, position: undefined };
    const expectedRevision: ExpectedRevision = revision ?? 'no_stream';
    const toAppend: NewEvent[] = events.map((event, index) => ({
      id: options.eventId?.(event, index) ?? randomUUID(),
      type: event.type,
      data: event.data as EventData,
      metadata: options.metadata,
    }));
    try {
      const result = await store.append(streamId, toAppend, { expectedRevision });
      return { events, state: events.reduce(decider.evolve, state), position: result.position };
    } catch (error) {
      if (error instanceof WrongExpectedRevision && attempt < maxAttempts) continue;
      throw error;
    }
  }
}
