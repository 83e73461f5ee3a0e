import { randomUUID } from 'node:crypto';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import { contactEventMetadata } from '../contacts/contact-event-metadata';
import { contactDecider } from '../contacts/domain/contact.decider';
import type { ContactEvent } from '../contacts/domain/contact.events';
import type { ContactState } from '../contacts/domain/contact.state';
import type {
  EventData,
  EventMetadata,
  EventStore,
  NewEvent,
} from '../shared/event-store/event-store.port';
import { streamStateCacheOf, withEventIds } from '../shared/event-sourcing/stream-state-cache';
import { contactStreamId } from '../shared/stream-names';
import type { LocatedContact } from './located-contact';

export interface DecisionsOutcome {
  readonly events: readonly ContactEvent[];
  readonly state: ContactState;
  /** Position of the last appended event; undefined when nothing was recorded. */
  readonly position: bigint | undefined;
}

/** Decides `commands` one after the other, each against the state the previous ones left. */
export function decideInSequence(
  state: ContactState,
  commands: readonly ContactCommand[],
): { readonly events: readonly ContactEvent[]; readonly state: ContactState } {
  const events: ContactEvent[] = [];
  let current = state;
  for (const command of commands) {
    const decided = contactDecider.decide(command, current);
    events.push(...decided);
    current = decided.reduce(contactDecider.evolve, current);
  }
  return { events, state: current };
}

/**
 * Decides steps one after the other, each against the state the ones before it left, as
 * `decideInSequence` decides commands: a step whose commands or decision throw is refused alone
 * (its error stands in its place) and leaves the state as it was.
 */
export function decideEachInSequence<Step>(
  state: ContactState,
  steps: readonly Step[],
  commandsOf: (step: Step, state: ContactState) => readonly ContactCommand[],
): {
  readonly outcomes: ReadonlyArray<
    { readonly events: readonly ContactEvent[] } | { readonly refusal: unknown }
  >;
  readonly state: ContactState;
} {
  let current = state;
  const outcomes = steps.map((step) => {
    try {
      const decided = decideInSequence(current, commandsOf(step, current));
      current = decided.state;
      return { events: decided.events };
    } catch (refusal) {
      return { refusal };
    }
  });
  return { outcomes, state: current };
}

/** Events decided in one step, with the metadata and ids they are written with. */
export interface DecidedStep {
  readonly events: readonly ContactEvent[];
  readonly metadata: EventMetadata;
  /** Deterministic ids make a retried step recognisable; defaults to random UUIDs. */
  readonly eventId?: (index: number) => string;
}

/**
 * Decides several commands on one located contact and appends all their events in one append,
 * expecting the revision that was read: they land together or not at all. A concurrent write
 * surfaces as `WrongExpectedRevision`; the caller locates again and retries the whole step.
 */
export async function appendDecisions(
  store: EventStore,
  contact: LocatedContact,
  commands: readonly ContactCommand[],
  options: Omit<DecidedStep, 'events'>,
): Promise<DecisionsOutcome> {
  const { events, state } = decideInSequence(contact.state, commands);
  return appendDecided(store, contact, [{ ...options, events }], state);
}

/**
 * Appends the events of steps decided one after the other on one located contact (the last
 * leaving `state`) in one append, expecting the revision that was read, as `appendDecisions`
 * does for one step; each step's events take its metadata and ids.
 */
export async function appendDecided(
  store: EventStore,
  contact: LocatedContact,
  steps: readonly DecidedStep[],
  state: ContactState,
): Promise<DecisionsOutcome> {
  const events = steps.flatMap((step) => step.events);
  if (events.length === 0) return { events, state, position: undefined };
  const toAppend: NewEvent[] = steps.flatMap((step) =>
    step.events.map((event, index) => ({
      id: step.eventId?.(index) ?? randomUUID(),
      type: event.type,
      data: asEventData(event.data),
      metadata: contactEventMetadata(event, step.metadata),
    })),
  );
  const streamId = contactStreamId(contact.workspaceId, contact.contactId);
  const cache = streamStateCacheOf(store);
  // The ids already known for the revision this step decided on; without them the new entry
  // could not answer `containsEvent` for older events, so nothing is cached.
  const known = cache.get<ContactState>(streamId, contactDecider);
  const knownIds =
    contact.revision === undefined
      ? new Set<string>()
      : known?.revision === contact.revision
        ? known.eventIds
        : undefined;
  let result;
  try {
    result = await store.append(streamId, toAppend, {
      expectedRevision: contact.revision ?? 'no_stream',
    });
  } catch (error) {
    // The fold this step decided on lost a race (or is doubtful): the retry reads the stream.
    cache.delete(streamId);
    throw error;
  }
  if (knownIds === undefined) cache.delete(streamId);
  else
    cache.set(streamId, contactDecider, {
      state,
      revision: result.nextExpectedRevision,
      eventIds: withEventIds(knownIds, toAppend),
    });
  return { events, state, position: result.position };
}

/** Contact event payloads are plain JSON objects. */
const asEventData = (data: object): EventData => data as EventData;
