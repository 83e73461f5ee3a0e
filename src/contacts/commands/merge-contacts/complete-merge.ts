import type { Clock } from '../../../shared/clock';
import { handleCommand, loadState } from '../../../shared/event-sourcing/handle-command';
import { lastEventOf, type EventStore } from '../../../shared/event-store/event-store.port';
import { contactStreamId } from '../../../shared/stream-names';
import { contactDecider } from '../../domain/contact.decider';
import { ContactAlreadyExists } from '../../domain/contact.errors';
import { mergeSourceOf, type ContactState, type MergeSource } from '../../domain/contact.state';
import { IdentityReservations, type PendingClaims } from '../../identity/identity-reservations';
import { uuidNamespace, uuidV5 } from '../../../shared/uuid-v5';

/**
 * A lead's email is not reserved (emails are unique among users only); when it is about to fill
 * the user's blank email it must be claimed for the user first. If another user holds it, the
 * merge goes on without it: the target's email stays empty rather than duplicated. The claim is
 * pending until the absorption is appended.
 */
async function withClaimableEmail(
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  targetId: string,
  target: ContactState,
  snapshot: MergeSource,
): Promise<{ readonly snapshot: MergeSource; readonly pending?: PendingClaims }> {
  const email = snapshot.attributes.email;
  if (!email) return { snapshot };
  if (target.status !== 'user' || target.email) return { snapshot };
  try {
    const pending = await new IdentityReservations(store, clock).claimAll(workspaceId, targetId, [
      { kind: 'email', value: email },
    ]);
    return { snapshot, pending };
  } catch (error) {
    if (!(error instanceof ContactAlreadyExists)) throw error;
    return { snapshot: { ...snapshot, attributes: { ...snapshot.attributes, email: null } } };
  }
}

/** Namespace of the deterministic ids of merge absorption events. */
const MERGE_NAMESPACE = uuidNamespace('5b0c1c52-4b8e-4d57-9d1e-1f2f8a3c7e11');

/**
 * The second step of a merge: the target absorbs the closed source. Safe to run any number of
 * times (by the HTTP call and by the process manager after a crash): the decider records nothing
 * once the target's merge history has the source, and the event id is derived from the source, so
 * even two concurrent runs write it once. Answers a position at or past the absorption, whichever
 * run wrote it.
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
  const { state: target } = await loadState(
    store,
    contactStreamId(workspaceId, source.into),
    contactDecider,
  );
  // A deleted target took what it had absorbed with it; one deleted before absorbing never will
  // (the source's id then answers as gone). Either way there is nothing left to complete.
  if (target.status === 'deleted') return undefined;
  const { snapshot, pending } = await withClaimableEmail(
    store,
    clock,
    workspaceId,
    source.into,
    target,
    mergeSourceOf(source)!,
  );
  const targetStream = contactStreamId(workspaceId, source.into);
  const outcome = await handleCommand(
    store,
    targetStream,
    contactDecider,
    {
      type: 'AbsorbMergedLead',
      data: { contactId: source.into, workspaceId, source: snapshot, mergedAt: source.mergedAt },
      now: Math.floor(clock.now() / 1000),
    },
    {
      metadata: { workspaceId, occurredAt: clock.now(), schemaVersion: 1, causationId: sourceId },
      eventId: () => uuidV5(`${workspaceId}/${sourceId}`, MERGE_NAMESPACE),
    },
  ).finally(() => pending?.settle());
  // Absorbed already, by a concurrent run (the process manager races the HTTP call): the target's
  // last event is at or past that absorption, so a caller waiting for it reads the merge.
  return outcome.position ?? (await lastEventOf(store, targetStream))?.position;
}
