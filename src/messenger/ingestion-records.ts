import { Inject, Injectable } from '@nestjs/common';
import { WrongExpectedRevision } from '../shared/event-store/event-store.errors';
import {
  EVENT_STORE,
  type EventMetadata,
  type EventStore,
} from '../shared/event-store/event-store.port';
import { ingestionRecordStreamId } from '../shared/stream-names';
import { uuidNamespace, uuidV5 } from '../shared/uuid-v5';
import type { IngestionItemRecorded } from './domain/ingestion.events';

/** Namespace of the ids derived from ingestion idempotency keys. */
const INGESTION_NAMESPACE = uuidNamespace('0f5b3f0e-5c7e-4a43-9a55-8d2f3c1e9b21');

/**
 * The id of an item's first event, wherever it is written: the first event of the item's append
 * to its contact, or its `IngestionItemRecorded`. Deterministic in workspace and key, so a retry
 * looks for it.
 */
export const completionIdOf = (workspaceId: string, itemId: string): string =>
  uuidV5(`${workspaceId}/${itemId}`, INGESTION_NAMESPACE);

/** Ids of an item's further events; `step` separates appends of one item to different streams. */
export const stepEventIdOf = (
  workspaceId: string,
  itemId: string,
  step: string,
  index: number,
): string => uuidV5(`${workspaceId}/${itemId}/${step}/${index}`, INGESTION_NAMESPACE);

/** The `IngestionItemRecorded` proofs of completion (see its TSDoc). */
@Injectable()
export class IngestionRecords {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async find(
    workspaceId: string,
    completionId: string,
  ): Promise<IngestionItemRecorded['data'] | undefined> {
    for await (const event of this.store.readStream(
      ingestionRecordStreamId(workspaceId, completionId),
      { maxCount: 1 },
    )) {
      return event.data as IngestionItemRecorded['data'];
    }
    return undefined;
  }

  /** `find` for many items at once (one read of the store), keyed by completion id. */
  async findMany(
    workspaceId: string,
    completionIds: readonly string[],
  ): Promise<Map<string, IngestionItemRecorded['data']>> {
    const streamIds = completionIds.map((id) => ingestionRecordStreamId(workspaceId, id));
    const events = await this.store.readFirstEvents(streamIds);
    const found = new Map<string, IngestionItemRecorded['data']>();
    completionIds.forEach((completionId, index) => {
      const event = events.get(streamIds[index]!);
      if (event) found.set(completionId, event.data as IngestionItemRecorded['data']);
    });
    return found;
  }

  async record(
    completionId: string,
    data: IngestionItemRecorded['data'],
    metadata: EventMetadata,
    eventId: string,
  ): Promise<void> {
    const event: IngestionItemRecorded = { type: 'IngestionItemRecorded', data };
    try {
      await this.store.append(
        ingestionRecordStreamId(data.workspaceId, completionId),
        [{ id: eventId, type: event.type, data: event.data, metadata }],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      // Recorded already (by a concurrent retry): the item is complete either way.
      if (!(error instanceof WrongExpectedRevision)) throw error;
    }
  }
}
