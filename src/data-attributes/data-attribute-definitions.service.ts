import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import type { DataAttributeEvent } from './domain/data-attribute.events';
import { evolve } from './domain/data-attribute.evolve';
import {
  initialDataAttributesState,
  type DataAttributesState,
} from './domain/data-attribute.state';
import { dataAttributesStream } from './domain/data-attribute.stream';

interface Folded {
  readonly state: DataAttributesState;
  readonly revision: bigint;
}

/**
 * The current data attribute definitions of a workspace, for every write that must check custom
 * attributes. Read-your-writes: each call reads the stream after the cached revision, so an
 * attribute created a moment ago is visible, and a call costs one small read (usually empty).
 */
@Injectable()
export class DataAttributeDefinitions {
  private readonly folded = new Map<string, Folded>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async forWorkspace(workspaceId: string): Promise<DataAttributesState> {
    const cached = this.folded.get(workspaceId);
    let state = cached?.state ?? initialDataAttributesState();
    let revision = cached?.revision;
    const from = revision === undefined ? {} : { fromRevision: revision + 1n };
    for await (const recorded of this.store.readStream(dataAttributesStream(workspaceId), from)) {
      // Only the data attribute decider writes this stream, so every event is one of its own.
      state = evolve(state, { type: recorded.type, data: recorded.data } as DataAttributeEvent);
      revision = recorded.revision;
    }
    // Concurrent callers may fold past the same cached revision; the furthest fold wins.
    if (revision !== undefined && (this.folded.get(workspaceId)?.revision ?? -1n) < revision) {
      this.folded.set(workspaceId, { state, revision });
    }
    return state;
  }
}
