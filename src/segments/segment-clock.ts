import { randomUUID } from 'node:crypto';
import type { EventStore } from '../shared/event-store/event-store.port';
import { segmentClockStreamId } from '../shared/stream-names';
import type { SegmentClockTicked } from './domain/segment.events';

/**
 * Records that the workspace's segment clock reached `nowMs`: the membership projection fires
 * every deadline due by then. Ticks are idempotent in effect (a deadline fires once), so a
 * duplicate or late tick is harmless. Returns the tick's log position.
 */
export async function tickSegmentClock(
  store: EventStore,
  workspaceId: string,
  nowMs: number,
): Promise<bigint> {
  const data: SegmentClockTicked['data'] = { workspaceId, at: Math.floor(nowMs / 1000) };
  const result = await store.append(
    segmentClockStreamId(workspaceId),
    [
      {
        id: randomUUID(),
        type: 'SegmentClockTicked',
        data,
        metadata: { workspaceId, occurredAt: nowMs },
      },
    ],
    { expectedRevision: 'any' },
  );
  return result.position;
}
