import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../../shared/clock';
import { WrongExpectedRevision } from '../../shared/event-store/event-store.errors';
import {
  EVENT_STORE,
  lastEventOf,
  type EventStore,
  type RecordedEvent,
} from '../../shared/event-store/event-store.port';
import {
  contactStreamId,
  identityStreamId,
  normalizeIdentity,
  type IdentityKind,
} from '../../shared/stream-names';
import { contactDecider } from '../domain/contact.decider';
import { ContactAlreadyExists } from '../domain/contact.errors';
import {
  isLive,
  refusesMergeOf,
  type ContactState,
  type MergedContact,
} from '../domain/contact.state';
import { loadState, type PreparedAppend } from '../../shared/event-sourcing/handle-command';

/**
 * Where other processes append too, a claim of theirs younger than this may belong to a write
 * whose contact append has not landed yet.
 */
const DANGLING_AFTER_MS = 30_000;
const MAX_ATTEMPTS = 5;

/** The reservation stream's events. */
export type IdentityEvent =
  /** `contactId` holds the identity from now on. */
  | { readonly type: 'IdentityReserved'; readonly data: { readonly contactId: string } }
  /** `contactId` gave the identity up (changed, deleted, or a dangling claim was repaired). */
  | {
      readonly type: 'IdentityReleased';
      readonly data: { readonly contactId: string; readonly reason: string };
    };

export interface IdentityClaim {
  readonly kind: IdentityKind;
  readonly value: string;
}

/** Claims made for a contact append that has not landed yet. */
export interface PendingClaims {
  /** The append landed or failed (and a failed one's claims were given back). */
  settle(): void;
}

/**
 * The claims of this process whose contact append has not settled, per store (the merge workflow
 * builds its own IdentityReservations). Such a claim may still get its contact, however long
 * that takes, so it is never taken over; once settled, a claim whose holder lacks the value is
 * dangling at once. `claimant` marks this process's reservations in the store.
 */
class ClaimsInFlight {
  readonly claimant = randomUUID();
  private readonly writers = new Map<string, number>();

  add(streamId: string, contactId: string): void {
    const key = `${streamId}/${contactId}`;
    this.writers.set(key, (this.writers.get(key) ?? 0) + 1);
  }

  remove(streamId: string, contactId: string): void {
    const key = `${streamId}/${contactId}`;
    const left = (this.writers.get(key) ?? 0) - 1;
    if (left > 0) this.writers.set(key, left);
    else this.writers.delete(key);
  }

  has(streamId: string, contactId: string): boolean {
    return this.writers.has(`${streamId}/${contactId}`);
  }
}

const claimsInFlight = new WeakMap<EventStore, ClaimsInFlight>();

function claimsInFlightOf(store: EventStore): ClaimsInFlight {
  let claims = claimsInFlight.get(store);
  if (claims === undefined) {
    claims = new ClaimsInFlight();
    claimsInFlight.set(store, claims);
  }
  return claims;
}

/**
 * Uniqueness of external_id (and of email among users) per workspace without a multi-stream
 * transaction: a reservation stream per value, claimed with an expected revision before the
 * contact's own append. A claim whose contact never got the identity (a crash between the two
 * appends, or a failed append whose claim could not be given back) is recovered on the next claim
 * of the value: the same contact may claim again, and anyone else takes it over when its holder
 * does not carry the value and its write can no longer land: one of this process that has
 * settled, one that a previous process left in a store only this one writes, or, in a store
 * shared with other processes, one older than a grace period.
 */
@Injectable()
export class IdentityReservations {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private get inFlight(): ClaimsInFlight {
    return claimsInFlightOf(this.store);
  }

  /**
   * Claims every value for `contactId`, or none: on a conflict the claims made so far are
   * released. The claims are in flight (never taken over) until the caller settles them.
   */
  async claimAll(
    workspaceId: string,
    contactId: string,
    claims: readonly IdentityClaim[],
  ): Promise<PendingClaims> {
    // In flight from before the first append: a claim is never seen in the store as settled.
    const streamIds = claims.map((claim) => identityStreamId(workspaceId, claim.kind, claim.value));
    for (const streamId of streamIds) this.inFlight.add(streamId, contactId);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      for (const streamId of streamIds) this.inFlight.remove(streamId, contactId);
    };
    const made: IdentityClaim[] = [];
    try {
      // Every value is checked before the first is claimed: one held by another contact refuses
      // them all with nothing appended, where a claim made before its conflict surfaced would
      // have to be given back (and be met meanwhile by a write of its value as a conflict). Only
      // a value claimed by another between this check and its own claim still takes that path.
      if (claims.length > 1) {
        for (const claim of claims) await this.reservationOf(workspaceId, contactId, claim);
      }
      for (const claim of claims) {
        if (await this.claim(workspaceId, contactId, claim)) made.push(claim);
      }
    } catch (error) {
      try {
        await this.releaseAll(workspaceId, contactId, made, 'claim_failed');
      } finally {
        settle();
      }
      throw error;
    }
    return { settle };
  }

  /**
   * `claimAll` as the `prepare` step of `contactId`'s append, run once its command is decided (a
   * refused command claims nothing): a failed append gives the claims back, naming
   * `failedReason`; a landed one settles them.
   */
  async claimForAppend(
    workspaceId: string,
    contactId: string,
    claims: readonly IdentityClaim[],
    failedReason: string,
  ): Promise<PreparedAppend> {
    const pending = await this.claimAll(workspaceId, contactId, claims);
    return {
      undo: async () => {
        try {
          await this.releaseAll(workspaceId, contactId, claims, failedReason);
        } finally {
          pending.settle();
        }
      },
      done: () => Promise.resolve(pending.settle()),
    };
  }

  /** Releases the values `contactId` holds; values held by someone else are left alone. */
  async releaseAll(
    workspaceId: string,
    contactId: string,
    claims: readonly IdentityClaim[],
    reason: string,
  ): Promise<void> {
    for (const claim of claims) await this.release(workspaceId, contactId, claim, reason);
  }

  /**
   * The contact the reservation of `claim` names, if any. It may not carry the value (a dangling
   * claim): callers that act on the holder check its state.
   */
  async holderOf(workspaceId: string, claim: IdentityClaim): Promise<string | undefined> {
    const last = await lastEventOf(
      this.store,
      identityStreamId(workspaceId, claim.kind, claim.value),
    );
    return last?.type === 'IdentityReserved' ? (last.data.contactId as string) : undefined;
  }

  /** True when this call made the claim; false when `contactId` already held it. */
  private async claim(
    workspaceId: string,
    contactId: string,
    claim: IdentityClaim,
  ): Promise<boolean> {
    const streamId = identityStreamId(workspaceId, claim.kind, claim.value);
    // Most values are claimed for the first time: append without reading first. The store checks
    // that the stream does not exist; when it does, the loop below reads it and decides.
    try {
      await this.store.append(
        streamId,
        [this.toNewEvent(workspaceId, { type: 'IdentityReserved', data: { contactId } })],
        { expectedRevision: 'no_stream' },
      );
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision)) throw error;
    }
    for (let attempt = 1; ; attempt += 1) {
      const { last, holder, holding } = await this.reservationOf(workspaceId, contactId, claim);
      if (holder === contactId) return false;
      const events: IdentityEvent[] = [
        ...(holder !== undefined
          ? [
              {
                type: 'IdentityReleased' as const,
                data: {
                  contactId: holder,
                  reason: holding === contactId ? 'merged' : 'dangling_claim',
                },
              },
            ]
          : []),
        { type: 'IdentityReserved', data: { contactId } },
      ];
      try {
        await this.store.append(
          streamId,
          events.map((event) => this.toNewEvent(workspaceId, event)),
          {
            expectedRevision: last?.revision ?? 'no_stream',
          },
        );
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedRevision && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /**
   * The reservation of `claim` as `contactId` would claim it: its last event, the contact it names
   * and the one holding the value through it (see `holdingContact`). Refused when that is another
   * contact.
   */
  private async reservationOf(
    workspaceId: string,
    contactId: string,
    claim: IdentityClaim,
  ): Promise<{
    readonly last: RecordedEvent | undefined;
    readonly holder: string | undefined;
    readonly holding: string | undefined;
  }> {
    const last = await lastEventOf(
      this.store,
      identityStreamId(workspaceId, claim.kind, claim.value),
    );
    const holder = last?.type === 'IdentityReserved' ? (last.data.contactId as string) : undefined;
    if (holder === undefined || holder === contactId) return { last, holder, holding: holder };
    const holding = await this.holdingContact(workspaceId, holder, claim, last!);
    if (holding !== undefined && holding !== contactId) {
      throw new ContactAlreadyExists(holding, claim.kind);
    }
    return { last, holder, holding };
  }

  private async release(
    workspaceId: string,
    contactId: string,
    claim: IdentityClaim,
    reason: string,
  ): Promise<void> {
    const streamId = identityStreamId(workspaceId, claim.kind, claim.value);
    for (let attempt = 1; ; attempt += 1) {
      const last = await lastEventOf(this.store, streamId);
      if (last?.type !== 'IdentityReserved' || last.data.contactId !== contactId) return;
      try {
        await this.store.append(
          streamId,
          [this.toNewEvent(workspaceId, { type: 'IdentityReleased', data: { contactId, reason } })],
          { expectedRevision: last.revision },
        );
        return;
      } catch (error) {
        if (error instanceof WrongExpectedRevision && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /**
   * Who the value the reservation names for `holder` belongs to: `holder`, or the user it was
   * merged into (see `holdingThroughMerge`); undefined when the claim dangles: its contact does not
   * carry the value (never got it, changed it, was deleted) and the write that claimed it can no
   * longer give it the value.
   */
  private async holdingContact(
    workspaceId: string,
    holder: string,
    claim: IdentityClaim,
    reserved: RecordedEvent,
  ): Promise<string | undefined> {
    const { state } = await this.stateOf(workspaceId, holder);
    if (state.status === 'deleted') return undefined;
    if (state.status === 'merged') return this.holdingThroughMerge(workspaceId, state, claim);
    if (carries(state, claim)) return holder;
    if (reserved.metadata.claimant === this.inFlight.claimant)
      return this.inFlight.has(reserved.streamId, holder) ? holder : undefined;
    if (this.store.exclusiveToThisProcess) return undefined;
    return this.clock.now() - reserved.recordedAt.getTime() > DANGLING_AFTER_MS
      ? undefined
      : holder;
  }

  /**
   * A merged lead's value goes where its merge takes it. Until its user absorbs it the lead keeps
   * it (the merge may still be undone, reopening the lead with it); once absorbed, it is the
   * user's when the merge gave it the value (the merge workflow then moves the reservation to it),
   * and nobody's when the user kept an external_id of its own or was deleted since.
   */
  private async holdingThroughMerge(
    workspaceId: string,
    merged: MergedContact,
    claim: IdentityClaim,
  ): Promise<string | undefined> {
    const { state: user } = await this.stateOf(workspaceId, merged.into);
    const absorbed =
      isLive(user) && user.merge_history.some((item) => item.source_contact_id === merged.id);
    if ((isLive(user) && !absorbed) || refusesMergeOf(user, merged.id)) return merged.id;
    return absorbed && carries(user, claim) ? merged.into : undefined;
  }

  private stateOf(workspaceId: string, contactId: string) {
    return loadState(this.store, contactStreamId(workspaceId, contactId), contactDecider);
  }

  private toNewEvent(workspaceId: string, event: IdentityEvent) {
    return {
      id: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: { workspaceId, occurredAt: this.clock.now(), claimant: this.inFlight.claimant },
    };
  }
}

/** Whether the contact holds the value as its reservation means it (email among users only). */
export function carries(state: ContactState, claim: IdentityClaim): boolean {
  if (!isLive(state)) return false;
  const value = state[claim.kind];
  return (
    value !== null &&
    normalizeIdentity(claim.kind, value) === normalizeIdentity(claim.kind, claim.value) &&
    (claim.kind === 'external_id' || state.status === 'user')
  );
}

/** The identity values a contact with these fields must hold exclusively. */
export function identityClaimsOf(fields: {
  readonly role: string;
  readonly external_id?: string | null;
  readonly email?: string | null;
}): IdentityClaim[] {
  return [
    ...(fields.external_id ? [{ kind: 'external_id' as const, value: fields.external_id }] : []),
    ...(fields.email && fields.role === 'user'
      ? [{ kind: 'email' as const, value: fields.email }]
      : []),
  ];
}
