import type { Clock } from '../../../shared/clock';
import {
  handleCommand,
  loadState,
  type PreparedAppend,
} from '../../../shared/event-sourcing/handle-command';
import {
  lastEventOf,
  type EventMetadata,
  type EventStore,
} from '../../../shared/event-store/event-store.port';
import { streamStateCacheOf } from '../../../shared/event-sourcing/stream-state-cache';
import { contactStreamId } from '../../../shared/stream-names';
import { contactDecider } from '../../domain/contact.decider';
import { ContactAlreadyExists } from '../../domain/contact.errors';
import {
  isLive,
  mergeSourceOf,
  refusesMergeOf,
  type ContactState,
  type DeletedContact,
  type LiveContact,
  type MergedContact,
  type MergeSource,
} from '../../domain/contact.state';
import { IdentityReservations } from '../../identity/identity-reservations';
import { uuidNamespace, uuidV5 } from '../../../shared/uuid-v5';

/**
 * A lead's email is not reserved (emails are unique among users only); when it is about to fill
 * the user's blank email it must be claimed for the user first. The claim follows from the state
 * the absorption is decided on, so a merge absorbed already (a rebuild or a fresh instance
 * replaying it, a retry, the concurrent run that lost) claims nothing, whatever became of the
 * email since. A refused claim (another user holds the email) propagates: the absorption is then
 * decided again without the email (`completeMerge`).
 */
async function claimTheEmailItFills(
  store: EventStore,
  clock: Clock,
  user: ContactState,
  source: MergeSource,
): Promise<PreparedAppend | undefined> {
  const email = source.attributes.email;
  if (!email || user.status !== 'user' || user.email) return undefined;
  const pending = await new IdentityReservations(store, clock).claimAll(
    user.workspace_id,
    user.id,
    [{ kind: 'email', value: email }],
  );
  // Not given back when the append fails: a concurrent completion of this merge may have taken
  // the email on the strength of this claim (it is the user's, not this run's). If the user ends
  // without the email, the claim dangles, and the next claim of the value repairs it.
  const settle = () => Promise.resolve(pending.settle());
  return { undo: settle, done: settle };
}

/** Namespace of the deterministic ids of merge absorption events. */
const MERGE_NAMESPACE = uuidNamespace('5b0c1c52-4b8e-4d57-9d1e-1f2f8a3c7e11');

/** Namespace of the deterministic ids of merge reverts (one per source and target). */
const REVERT_NAMESPACE = uuidNamespace('9e7d4c1a-63f2-4b0e-8a51-2c4d7b9f0e36');

/** What became of a merge whose source was closed for its target. */
export type MergeCompletion =
  /**
   * The target holds the source, absorbed by this run or an earlier one: `position` is at or past
   * the absorption, `target` the user as this run's absorption left it.
   */
  | {
      readonly outcome: 'absorbed';
      readonly position: bigint | undefined;
      readonly target?: LiveContact;
    }
  /** The target absorbed the source and was deleted since: the source went with it. */
  | { readonly outcome: 'absorbed_then_deleted'; readonly position: bigint | undefined }
  /**
   * The target was deleted before absorbing the source: the merge is refused, and the source is
   * open again as it was (by this run, or an earlier one when `position` is undefined).
   */
  | { readonly outcome: 'reverted'; readonly position: bigint | undefined };

/**
 * The second step of a merge: the target absorbs the closed source. Safe to run any number of
 * times (by the HTTP call, by the process manager after a crash, by a rebuild or a replay of the
 * log): once the target's merge history has the source, the decider records nothing and no
 * identity is claimed, so a completed merge appends nothing; the event id is derived from the
 * source, so even two concurrent runs write it once. A target deleted before absorbing the source
 * never will: the source is reopened (`ContactMergeReverted`), so a refused merge loses nothing.
 */
export async function completeMerge(
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  sourceId: string,
  into: string,
): Promise<MergeCompletion> {
  const { state: source } = await loadState(
    store,
    contactStreamId(workspaceId, sourceId),
    contactDecider,
  );
  // Open again, or merged since into another user: this merge was reverted.
  if (source.status !== 'merged' || source.into !== into) {
    return { outcome: 'reverted', position: undefined };
  }
  const targetStream = contactStreamId(workspaceId, into);
  const { state: target } = await loadState(store, targetStream, contactDecider);
  if (target.status === 'deleted') return afterTargetDeleted(store, clock, source, target);
  const metadata = await closingMetadata(store, source);
  const absorb = (snapshot: MergeSource) =>
    handleCommand(
      store,
      targetStream,
      contactDecider,
      {
        type: 'AbsorbMergedLead',
        data: { contactId: into, workspaceId, source: snapshot, mergedAt: source.mergedAt },
        now: Math.floor(clock.now() / 1000),
      },
      {
        metadata,
        eventId: () => uuidV5(`${workspaceId}/${sourceId}`, MERGE_NAMESPACE),
        prepare: (decidedOn) => claimTheEmailItFills(store, clock, decidedOn, snapshot),
      },
    );
  try {
    const snapshot = mergeSourceOf(source)!;
    const outcome = await absorb(snapshot).catch((error: unknown) => {
      // Another user holds the lead's email: the target's stays empty rather than duplicated.
      if (!(error instanceof ContactAlreadyExists)) throw error;
      return absorb({ ...snapshot, attributes: { ...snapshot.attributes, email: null } });
    });
    await takeOverExternalId(store, clock, source, outcome.state);
    if (outcome.position === undefined) {
      // Absorbed already, by a concurrent run (the process manager races the HTTP call): the
      // target's last event is at or past that absorption, so a caller waiting for it reads it.
      return { outcome: 'absorbed', position: (await lastEventOf(store, targetStream))?.position };
    }
    return {
      outcome: 'absorbed',
      position: outcome.position,
      ...(isLive(outcome.state) ? { target: outcome.state } : {}),
    };
  } catch (error) {
    // Deleted between the read above and the absorption.
    const { state: now } = await loadState(store, targetStream, contactDecider);
    if (now.status !== 'deleted') throw error;
    return afterTargetDeleted(store, clock, source, now);
  }
}

/**
 * A request that finds `sourceId` closed for `target` (as it read it) when the target is deleted
 * meets the merge between its two steps: it settles the merge first, as its completion would (the
 * reopening is written once, whoever runs first), so that it ends as the same request sent just
 * after. True when the merge was refused and the source is open again: the caller reads it again
 * (its cached fold dropped) and goes on; false when the target absorbed it before its deletion
 * (the source went along) or is not deleted.
 */
export async function reopenedAfterRefusedMerge(
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  sourceId: string,
  target: ContactState,
): Promise<boolean> {
  // A deletion is final, and the deleted target lists what it had absorbed: a source it took
  // along is told without reading anything again (requests naming it keep coming).
  if (target.status !== 'deleted' || !refusesMergeOf(target, sourceId)) return false;
  const { outcome } = await completeMerge(store, clock, workspaceId, sourceId, target.id);
  streamStateCacheOf(store).delete(contactStreamId(workspaceId, sourceId));
  return outcome === 'reverted';
}

/**
 * The source's external_id, once the target took it in the absorption, is the target's: its
 * reservation moves from the source to the target. Until then the source's reservation keeps
 * anyone else from it (`IdentityReservations`), so that moving it after the absorption leaves no
 * gap; a run cut short before it leaves it to the next completion of the merge (the process
 * manager's, or a retry's), which finds the absorption recorded and moves it then.
 */
async function takeOverExternalId(
  store: EventStore,
  clock: Clock,
  source: MergedContact,
  target: ContactState,
): Promise<void> {
  const externalId = source.closedAs.external_id;
  if (!isLive(target) || externalId === null || target.external_id !== externalId) return;
  const claim = { kind: 'external_id' as const, value: externalId };
  (
    await new IdentityReservations(store, clock).claimAll(target.workspace_id, target.id, [claim])
  ).settle();
}

/**
 * The time and cause of the merge that closed `source`, which its completion (an absorption or a
 * revert) takes: a closed source takes no other command, so its last event is that merge.
 */
async function closingMetadata(store: EventStore, source: MergedContact): Promise<EventMetadata> {
  const closing = (await lastEventOf(store, contactStreamId(source.workspace_id, source.id)))!
    .metadata;
  return {
    workspaceId: source.workspace_id,
    occurredAt: closing.occurredAt,
    schemaVersion: 1,
    ...(typeof closing.actor === 'string' ? { actor: closing.actor } : {}),
    ...(typeof closing.causationId === 'string' ? { causationId: closing.causationId } : {}),
  };
}

async function afterTargetDeleted(
  store: EventStore,
  clock: Clock,
  source: MergedContact,
  target: DeletedContact,
): Promise<MergeCompletion> {
  const { workspace_id: workspaceId, id: sourceId, into } = source;
  if (!refusesMergeOf(target, sourceId)) {
    return {
      outcome: 'absorbed_then_deleted',
      position: (await lastEventOf(store, contactStreamId(workspaceId, into)))?.position,
    };
  }
  // No instant of event time shows the refused merge.
  const metadata = await closingMetadata(store, source);
  const outcome = await handleCommand(
    store,
    contactStreamId(workspaceId, sourceId),
    contactDecider,
    {
      type: 'RevertMerge',
      data: { contactId: sourceId, workspaceId, into },
      now: Math.floor(clock.now() / 1000),
    },
    { metadata, eventId: () => uuidV5(`${workspaceId}/${sourceId}/${into}`, REVERT_NAMESPACE) },
  );
  return { outcome: 'reverted', position: outcome.position };
}
