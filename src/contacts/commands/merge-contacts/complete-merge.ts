import { v5 as uuidv5 } from 'uuid';
import type { Clock } from '../../../shared/clock';
import { handleCommand, loadState } from '../../../shared/event-sourcing/handle-command';
import type { EventStore } from '../../../shared/event-store/event-store.port';
import { contactStreamId } from '../../../shared/stream-names';
import { contactDecider } from '../../domain/contact.decider';
import { mergeSourceOf } from '../../domain/contact.state';

/** Namespace of the deterministic ids of merge absorption events. */
const MERGE_NAMESPACE = '5b0c1c52-4b8e-4d57-9d1e-1f2f8a3c7e11';

/**
 * The second step of a merge: the target absorbs the closed source. Safe to run any number of
 * times (by the HTTP call and by the process manager after a crash): the decider records nothing
 * once the target's merge history has the source, and the event id is derived from the source, so
 * even two concurrent runs write it once.
 */
export async function completeMerge(
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  sourceId: string,
): Promise<bigint | undefined> {
  const { state: source } = await loadState(
    store,
    contactStreamId(workspaceId, sourceId),
    contactDecider,
  );
  if (source.status !== 'merged') return undefined;
  const snapshot = mergeSourceOf(source)!;
  const outcome = await handleCommand(
    store,
    contactStreamId(workspaceId, source.into),
    contactDecider,
    {
      type: 'AbsorbMergedLead',
      data: { contactId: source.into, workspaceId, source: snapshot, mergedAt: source.mergedAt },
      now: Math.floor(clock.now() / 1000),
    },
    {
      metadata: { workspaceId, occurredAt: clock.now(), schemaVersion: 1, causationId: sourceId },
      eventId: () => uuidv5(`${workspaceId}/${sourceId}`, MERGE_NAMESPACE),
    },
  );
  return outcome.position;
}
