import { SEGMENT_EVENT_TYPES, type SegmentEvent } from './domain/segment.events';

const TYPES: ReadonlySet<string> = new Set(SEGMENT_EVENT_TYPES);

/** A stored event as the segment domain's event (schema version 1; upcasters belong here). */
export function toSegmentEvent(stored: {
  readonly type: string;
  readonly data: unknown;
}): SegmentEvent {
  if (!TYPES.has(stored.type)) throw new Error(`Not a segment event: ${stored.type}`);
  return { type: stored.type, data: stored.data } as SegmentEvent;
}
