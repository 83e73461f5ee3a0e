import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  type Position,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { EventStoreUnavailable } from '../../../shared/event-store/event-store.errors';
import type {
  EventFilter,
  EventMetadata,
  RecordedEvent,
} from '../../../shared/event-store/event-store.port';

const PREPARE_BITS = 64n;
const PREPARE_MASK = (1n << PREPARE_BITS) - 1n;

/**
 * ESDB positions are `{commit, prepare}` (two unsigned 64-bit offsets). Packing them as
 * `commit << 64 | prepare` keeps their order (commit first, then prepare) in one bigint and
 * decodes back exactly, so exclusive starts and checkpoints survive the round trip.
 */
export function encodePosition(position: Position): bigint {
  return (position.commit << PREPARE_BITS) | position.prepare;
}

export function decodePosition(position: bigint): Position {
  return { commit: position >> PREPARE_BITS, prepare: position & PREPARE_MASK };
}

/** System streams (`$…`, including metastreams `$$…`) and system event types never reach callers. */
export function isSystemEvent(event: {
  readonly streamId: string;
  readonly type: string;
}): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

export function matchesFilter(
  event: { readonly streamId: string; readonly type: string },
  filter: EventFilter | undefined,
): boolean {
  if (isSystemEvent(event)) return false;
  if (filter?.streamPrefixes && !filter.streamPrefixes.some((p) => event.streamId.startsWith(p))) {
    return false;
  }
  if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  return true;
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

/**
 * Converts a client event into the port's shape. Our events are always JSON objects; anything
 * else (binary payloads written by other tools) is reported rather than silently reshaped.
 */
export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  if (!event.position) {
    throw new Error(`Event ${event.id} in ${event.streamId} has no $all position`);
  }
  if (!event.isJson || !isPlainObject(event.data)) {
    throw new Error(`Event ${event.id} in ${event.streamId} is not a JSON object`);
  }
  const metadata = isPlainObject(event.metadata) ? event.metadata : {};
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: metadata as EventMetadata,
    streamId: event.streamId,
    revision: event.revision,
    position: encodePosition(event.position),
    recordedAt: event.created,
  };
}

/**
 * A read that received nothing for too long. The client gives its streaming reads no deadline
 * (a server that stops answering, frozen or cut off, would hold the read, and the request it
 * serves, for ever), so the adapter times them out itself.
 */
export class EsdbReadStalled extends Error {
  constructor(idleMs: number) {
    super(`EventStoreDB sent nothing for ${idleMs} ms during a read`);
  }
}

/** gRPC's INTERNAL for an HTTP/2 session that closed under the call: the connection failed. */
const isClosedSession = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === 13 &&
  /RST_STREAM|Session closed/.test(String((error as { message?: unknown }).message));

/** Connection-level failures: the caller may retry later; nothing else about the store is implied. */
export function isTransientError(error: unknown): boolean {
  return (
    error instanceof EsdbReadStalled ||
    isClosedSession(error) ||
    error instanceof UnavailableError ||
    error instanceof CancelledError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 14)
  );
}

/** Maps client errors to the port's typed errors; unknown errors pass through unchanged. */
export function toPortError(error: unknown): unknown {
  if (isTransientError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailable(`EventStoreDB unavailable: ${message}`, { cause: error });
  }
  return error;
}
