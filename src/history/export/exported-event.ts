import { CONTACT_EVENT_TYPES } from '../../contacts/contact-event-codec';
import type { DataAttributeEvent } from '../../data-attributes/domain/data-attribute.events';
import { SEGMENT_EVENT_TYPES, type SegmentClockTicked } from '../../segments/domain/segment.events';
import type { EventMetadata, RecordedEvent } from '../../shared/event-store/event-store.port';
import {
  contactStreamId,
  dataAttributesStreamId,
  parseStreamId,
  STREAM_CATEGORIES,
} from '../../shared/stream-names';

const DATA_ATTRIBUTE_EVENT_TYPES: readonly DataAttributeEvent['type'][] = [
  'DataAttributeCreated',
  'DataAttributeUpdated',
  'DataAttributeArchived',
  'DataAttributeUnarchived',
];

const SEGMENT_CLOCK_TICKED: SegmentClockTicked['type'] = 'SegmentClockTicked';

/**
 * What an analyst gets of a workspace's log: its contacts' events (lifecycle, attributes,
 * sightings, conversations, data events), its segments' definitions and the segment clock's
 * ticks (which fire time-based exits: a replay needs them to record what the service recorded),
 * and its data attribute definitions. Left out: identity reservations and ingestion records,
 * the service's own bookkeeping of uniqueness and idempotency, which say nothing a contact's
 * events do not.
 */
export const EXPORTED_EVENT_TYPES: readonly string[] = [
  ...CONTACT_EVENT_TYPES,
  ...SEGMENT_EVENT_TYPES,
  SEGMENT_CLOCK_TICKED,
  ...DATA_ATTRIBUTE_EVENT_TYPES,
];

/**
 * The stream name prefixes of a workspace's exported streams. A prefix may also match another
 * workspace whose id extends this one (`acme` and `acme.eu`): the event's own
 * `metadata.workspaceId` decides (see {@link isExportedFrom}).
 */
export const exportedStreamPrefixes = (workspaceId: string): readonly string[] => [
  contactStreamId(workspaceId, ''),
  `${STREAM_CATEGORIES.segment}-${workspaceId}.`,
  dataAttributesStreamId(workspaceId),
];

/** Whether `event` belongs in `workspaceId`'s export. */
export function isExportedFrom(workspaceId: string, event: RecordedEvent): boolean {
  if (event.metadata.workspaceId !== workspaceId) return false;
  return (
    event.streamId === dataAttributesStreamId(workspaceId) ||
    parseStreamId(STREAM_CATEGORIES.contact, event.streamId)?.workspaceId === workspaceId ||
    parseStreamId(STREAM_CATEGORIES.segment, event.streamId)?.workspaceId === workspaceId
  );
}

/** The contact whose stream holds `event`, or undefined for another stream. */
export const contactIdOf = (streamId: string): string | undefined =>
  parseStreamId(STREAM_CATEGORIES.contact, streamId)?.rest;

/**
 * One line of `GET /export/events` (NDJSON). Times are unix seconds, as everywhere in the API;
 * `metadata` is the event's own, whole, so its `occurredAt` keeps the milliseconds a replay
 * folds by.
 */
export interface ExportedEvent {
  /** The log position, a decimal string (EventStoreDB's are 128-bit). */
  readonly position: string;
  readonly id: string;
  readonly stream_id: string;
  /** The contact of a contact stream's event; null for a segment's or a data attribute's. */
  readonly contact_id: string | null;
  /** The event's revision in its stream, from 0. */
  readonly revision: number;
  readonly type: string;
  /** Event time: when it happened (the `metadata.occurredAt` second). */
  readonly occurred_at: number;
  /** When the log stored it. */
  readonly recorded_at: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: EventMetadata;
}

export function toExportedEvent(event: RecordedEvent): ExportedEvent {
  return {
    position: event.position.toString(),
    id: event.id,
    stream_id: event.streamId,
    contact_id: contactIdOf(event.streamId) ?? null,
    revision: Number(event.revision),
    type: event.type,
    occurred_at: Math.floor(event.metadata.occurredAt / 1000),
    recorded_at: Math.floor(event.recordedAt.getTime() / 1000),
    data: event.data,
    metadata: event.metadata,
  };
}

/** The recorded event an exported line stands for (its `recordedAt` to the second). */
export function fromExportedEvent(line: ExportedEvent): RecordedEvent {
  return {
    id: line.id,
    type: line.type,
    data: line.data,
    metadata: line.metadata,
    streamId: line.stream_id,
    revision: BigInt(line.revision),
    position: BigInt(line.position),
    recordedAt: new Date(line.recorded_at * 1000),
  };
}
