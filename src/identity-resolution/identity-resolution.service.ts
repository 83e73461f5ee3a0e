import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { MergeContactsCommand } from '../contacts/commands/merge-contacts/merge-contacts.command';
import type { UnixSeconds } from '../contacts/domain/contact.attributes';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import {
  ContactAlreadyExists,
  ContactNotFound,
  MissingIdentity,
} from '../contacts/domain/contact.errors';
import type { ContactEvent, GivenIdentity } from '../contacts/domain/contact.events';
import { isLive, type ContactState } from '../contacts/domain/contact.state';
import {
  carries,
  IdentityReservations,
  identityClaimsOf,
  type IdentityClaim,
} from '../contacts/identity/identity-reservations';
import { WrongExpectedRevision } from '../shared/event-store/event-store.errors';
import {
  causeOf,
  EVENT_STORE,
  type EventMetadata,
  type EventStore,
} from '../shared/event-store/event-store.port';
import { normalizeIdentity } from '../shared/stream-names';
import { appendDecisions, decideInSequence } from './contact-decisions';
import { ContactLocator } from './contact-locator';
import {
  IdentitiesHeldByDifferentContacts,
  IdentityHeldByNonUser,
} from './identity-resolution.errors';
import type { LocatedContact } from './located-contact';

export type IdentifyKind = 'sign_up' | 'log_in';

/**
 * The user holding the identity was deleted before it absorbed the session, which the refused
 * merge left open as it was: a race, so `identify` starts again as after a deletion that came
 * first (the identity is then free to claim).
 */
class HolderDeletedBeforeMerge extends Error {
  override readonly name = 'HolderDeletedBeforeMerge';
}

/**
 * Runs of a request that raced another on its identity or streams, and the wait before each. Each
 * round of a race lets one racer through, so n racers need up to n - 1 retries; the waits are
 * jittered so that the losers of one round do not all meet again in the next.
 */
const RACE_ATTEMPTS = 10;
const RACE_BACKOFF_MS = 25;

export interface IdentifyRequest {
  readonly workspaceId: string;
  /**
   * Who gives the identity: the visitor, lead or user of a messenger session (merge links
   * already followed), or undefined when only the identity is known (a server-side sign-up).
   */
  readonly session: LocatedContact | undefined;
  /**
   * The caller named the session's contact (a contact_id), rather than a device's visitor_id: a
   * user session then signs in as itself, and an identity another user holds is a conflict, not
   * that user signing in on the device.
   */
  readonly sessionNamed?: boolean;
  /**
   * The caller named a visitor (the Visitors API's conversion): the session must still be that
   * visitor when the request acts. One that became a lead, or was merged, since the caller looked
   * it up is refused `not_found`, where a messenger session goes on as whoever it became.
   */
  readonly visitorOnly?: boolean;
  readonly identity: GivenIdentity;
  readonly kind: IdentifyKind;
  readonly occurredAt: UnixSeconds;
  readonly now: UnixSeconds;
  /** Commands for the identified contact, appended together with its sign-up or log-in. */
  readonly followUp?: (contactId: string) => readonly ContactCommand[];
  /**
   * Without a session, a sign-up whose identity nobody holds creates a user with this id; when
   * absent such a request is refused with `not_found`.
   */
  readonly newUserId?: string;
  readonly metadata: EventMetadata;
  /** Ids of the events of the final append (the sign-up or log-in and the follow-up). */
  readonly eventId?: (index: number) => string;
}

export interface IdentifyOutcome {
  /** The contact the identity belongs to now. */
  readonly contactId: string;
  /** Events of the final append (empty when it recorded nothing). */
  readonly events: readonly ContactEvent[];
  /** Position of the last event written by any step; undefined when nothing was written. */
  readonly position: bigint | undefined;
  /** The visitor or lead that was merged into `contactId` on the way, if any. */
  readonly mergedFrom: string | undefined;
}

/**
 * Identity resolution for sign-up and log-in (messenger ingestion, `POST /visitors/convert`):
 *
 * - a visitor or lead giving an identity a user already holds is merged into that user through
 *   the merge workflow, and the user records the log-in;
 * - a visitor or lead giving an identity nobody holds claims it (reservation streams) and becomes
 *   that user, keeping its email unless another user holds it (`keptEmailOf`);
 * - a user session giving another user's identity is that other user from now on (a different
 *   person logged in on the same device); users are never merged;
 * - without a session, the holder is addressed, or a sign-up creates the user;
 * - the part of the identity the user it lands on lacks is claimed for it before anything is
 *   written: held by another contact, it refuses the request (`conflict`).
 *
 * Every step is safe to repeat: claims by the same contact are no-ops, a repeated merge records
 * nothing, and a caller retrying after a crash finds the merge link and continues from the user.
 */
@Injectable()
export class IdentityResolution {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly reservations: IdentityReservations,
    private readonly locator: ContactLocator,
    private readonly commands: CommandBus,
  ) {}

  /**
   * Concurrent requests on one identity end as if they had come one after the other: when another
   * contact claimed the identity between the lookup and the claim (a concurrent create, sign-up
   * or conversion), or wrote to a stream this request read, it starts again from where the
   * session is now; the holder, once it carries the value, is the user the session merges into.
   */
  async identify(request: IdentifyRequest): Promise<IdentifyOutcome> {
    let current = request;
    for (let attempt = 1; ; attempt += 1) {
      const progress = { sessionMerged: false };
      try {
        return await this.identifyOnce(current, progress);
      } catch (error) {
        const raced =
          error instanceof ContactAlreadyExists ||
          error instanceof WrongExpectedRevision ||
          error instanceof HolderDeletedBeforeMerge;
        if (!raced || attempt >= RACE_ATTEMPTS) throw error;
        const wait = attempt * RACE_BACKOFF_MS * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (current.session !== undefined) {
          const session = await this.locator.locate(current.workspaceId, current.session.contactId);
          // Merged into the holder by the attempt that lost the race afterwards: the visitor was
          // converted by this very request, which goes on from the user as any session does.
          current = {
            ...current,
            session,
            ...(progress.sessionMerged ? { visitorOnly: false } : {}),
          };
        }
      }
    }
  }

  private async identifyOnce(
    request: IdentifyRequest,
    progress: { sessionMerged: boolean },
  ): Promise<IdentifyOutcome> {
    const { workspaceId } = request;
    const claims = claimsOf(request);
    const session = request.session;
    if (session && request.visitorOnly && !isStillVisitor(session))
      throw new ContactNotFound(session.path[0] ?? session.contactId);
    const holder = await this.otherUserHolding(request, claims, session?.contactId);
    if (session && !isLive(session.state)) throw new ContactNotFound(session.contactId);

    if (holder) {
      if (session?.state.status === 'user' && request.sessionNamed)
        throw new IdentitiesHeldByDifferentContacts(
          [session.contactId, holder.contactId],
          'contact_id',
        );
      if (!session || session.state.status === 'user')
        return this.claimAndFinish(request, holder, claims);
      // Claimed before the merge: a value the holder cannot take refuses the request while the
      // session is still open.
      return this.claimedFor(request, holder, claims, async () => {
        const merged = await this.commands
          .execute(
            new MergeContactsCommand(workspaceId, session.contactId, holder.contactId, {
              mergedAt: request.occurredAt,
              cause: causeOf(request.metadata),
              fromVisitorOnly: request.visitorOnly ?? false,
              // The log-in gives the user the external_id it names, not the session's.
              keepExternalId: request.identity.external_id !== undefined,
            }),
          )
          .catch((error: unknown) => {
            if (error instanceof ContactNotFound && error.contactId === holder.contactId)
              throw new HolderDeletedBeforeMerge();
            throw error;
          });
        progress.sessionMerged = true;
        const outcome = await this.finish(
          request,
          await this.locator.locate(workspaceId, holder.contactId),
        ).catch(async (error: unknown) => {
          // Deleted since it absorbed the session: the log-in came first, and the deletion took
          // the session along; there is no user left to record the log-in on.
          const target = await this.locator.locate(workspaceId, holder.contactId);
          if (isLive(target.state)) throw error;
          return undefined;
        });
        return {
          contactId: holder.contactId,
          events: outcome?.events ?? [],
          position: outcome?.position ?? merged.position,
          mergedFrom: session.contactId,
        };
      });
    }

    if (session) return this.claimAndFinish(request, session, claims);
    if (request.newUserId === undefined) {
      throw new ContactNotFound(request.identity.external_id ?? request.identity.email ?? '');
    }
    const created = await this.locator.locate(workspaceId, request.newUserId);
    return this.claimAndFinish(request, created, claims);
  }

  /**
   * What `identify` would refuse for a session that does not exist yet, found without writing:
   * an identity split between contacts, held by a non-user, or one its user would not take. The
   * caller registers the session's visitor only when this passes, so a refused item leaves none.
   */
  async refusalForNewSession(request: Omit<IdentifyRequest, 'session'>): Promise<void> {
    const withoutSession = { ...request, session: undefined };
    await this.otherUserHolding(withoutSession, claimsOf(withoutSession), undefined);
  }

  /**
   * The contact other than the session that holds the identity, which must then be a user that
   * takes this sign-up or log-in; refused otherwise (before a merge could close the session, and
   * before anything is written). Undefined when nobody else holds it.
   */
  private async otherUserHolding(
    request: IdentifyRequest,
    claims: readonly IdentityClaim[],
    sessionId: string | undefined,
  ): Promise<LocatedContact | undefined> {
    const holder = await this.holderOf(request.workspaceId, claims);
    if (holder === undefined || holder.contactId === sessionId) return undefined;
    // A non-user holds an identity by its external_id only (an email identifies users alone).
    if (holder.state.status !== 'user')
      throw new IdentityHeldByNonUser(holder.contactId, 'external_id');
    decideInSequence(holder.state, this.commandsFor(request, holder));
    return holder;
  }

  /**
   * Refuses (conflict naming `field`) an identity that a contact other than `named` holds: a
   * request naming a contact by id and by identity must name one contact. An id naming no contact
   * (unknown, deleted) is no second contact: the caller refuses it as not found, whoever holds the
   * identity.
   */
  async refuseIdentityOfAnother(
    workspaceId: string,
    named: LocatedContact,
    identity: GivenIdentity,
    field: string,
  ): Promise<void> {
    if (Object.keys(identity).length === 0 || !isLive(named.state)) return;
    const holder = await this.findHolder(workspaceId, identity);
    if (holder !== undefined && holder.contactId !== named.contactId)
      throw new IdentitiesHeldByDifferentContacts([named.contactId, holder.contactId], field);
  }

  /**
   * The contact holding `identity`: a user (by external_id or email), or a lead by external_id.
   * Refused when the two values belong to different contacts.
   */
  findHolder(
    workspaceId: string,
    identity: GivenIdentity,
    options: { readonly eventId?: string } = {},
  ): Promise<LocatedContact | undefined> {
    return this.holderOf(workspaceId, identityClaimsOf({ role: 'user', ...identity }), options);
  }

  private async holderOf(
    workspaceId: string,
    claims: readonly IdentityClaim[],
    options: { readonly eventId?: string } = {},
  ): Promise<LocatedContact | undefined> {
    let holder: LocatedContact | undefined;
    for (const claim of claims) {
      const holderId = await this.reservations.holderOf(workspaceId, claim);
      if (holderId === undefined) continue;
      const located =
        holderId === holder?.contactId
          ? holder
          : await this.locator.locate(workspaceId, holderId, options);
      // A claim whose contact never got the value (a crash between claim and append) names nobody.
      if (!carries(located.state, claim)) continue;
      if (holder !== undefined && holder.contactId !== located.contactId) {
        throw new IdentitiesHeldByDifferentContacts(
          [holder.contactId, located.contactId],
          claim.kind,
        );
      }
      holder = located;
    }
    return holder;
  }

  /** Claims what the contact does not hold yet, then appends; a refusal gives the claims back. */
  private async claimAndFinish(
    request: IdentifyRequest,
    contact: LocatedContact,
    claims: readonly IdentityClaim[],
  ): Promise<IdentifyOutcome> {
    decideInSequence(contact.state, this.commandsFor(request, contact));
    const kept = await this.keptEmailOf(request, contact);
    // The kept email first: when a user holds it, nothing has been claimed to give back.
    return this.claimedFor(request, contact, [...kept.claims, ...claims], () =>
      this.finish(request, contact, { dropEmail: kept.dropped }),
    );
  }

  /**
   * The email a visitor or lead keeps on becoming a user (unless the identity gives another): as
   * a user's email it is claimed like one given. Held by another user, it is left behind instead
   * (`dropped`): an address the visitor typed in does not make it that user, and is not worth
   * losing the sign-up or log-in over; the identity the request names, which the app vouches for,
   * decides whom the session is. A user taking the email between this look-up and the claim
   * refuses the claim: `identify` then starts again, and finds it held.
   */
  private async keptEmailOf(
    request: IdentifyRequest,
    contact: LocatedContact,
  ): Promise<{ readonly claims: readonly IdentityClaim[]; readonly dropped: boolean }> {
    const kept = emailKeptAsUser(contact.state, request.identity);
    if (kept.length === 0) return { claims: [], dropped: false };
    const holder = await this.holderOf(request.workspaceId, kept);
    return holder !== undefined && holder.contactId !== contact.contactId
      ? { claims: [], dropped: true }
      : { claims: kept, dropped: false };
  }

  /**
   * Runs `write` once `contact` holds every value of the identity it does not carry yet (an
   * existing user as much as a new one: the identity is unique per workspace, and every claim
   * goes through its reservation first); a value another contact holds refuses the request
   * before `write`. A refused `write` gives back what was claimed here.
   */
  private async claimedFor(
    request: IdentifyRequest,
    contact: LocatedContact,
    claims: readonly IdentityClaim[],
    write: () => Promise<IdentifyOutcome>,
  ): Promise<IdentifyOutcome> {
    const fresh = claims.filter((claim) => !carries(contact.state, claim));
    const pending = await this.reservations.claimAll(request.workspaceId, contact.contactId, fresh);
    try {
      return await write();
    } catch (error) {
      // On a concurrent write the caller retries and will want the same claims.
      if (!(error instanceof WrongExpectedRevision)) {
        await this.reservations.releaseAll(
          request.workspaceId,
          contact.contactId,
          fresh,
          'identify_failed',
        );
      }
      throw error;
    } finally {
      pending.settle();
    }
  }

  private async finish(
    request: IdentifyRequest,
    contact: LocatedContact,
    options: { readonly dropEmail?: boolean } = {},
  ): Promise<IdentifyOutcome> {
    const commands = this.commandsFor(request, contact, options);
    const outcome = await appendDecisions(this.store, contact, commands, {
      metadata: request.metadata,
      ...(request.eventId ? { eventId: request.eventId } : {}),
    });
    return {
      contactId: contact.contactId,
      events: outcome.events,
      position: outcome.position,
      mergedFrom: undefined,
    };
  }

  private commandsFor(
    request: IdentifyRequest,
    contact: LocatedContact,
    { dropEmail = false }: { readonly dropEmail?: boolean } = {},
  ): ContactCommand[] {
    const { workspaceId, occurredAt, now } = request;
    const contactId = contact.contactId;
    const identity = asStoredBy(contact.state, request.identity);
    const followUp = request.followUp?.(contactId) ?? [];
    if (contact.state.status === 'none') {
      return [
        {
          type: 'CreateContact',
          data: {
            contactId,
            workspaceId,
            role: 'user',
            attributes: { ...identity, signed_up_at: occurredAt },
          },
          now: occurredAt,
        },
        ...followUp,
      ];
    }
    const data = {
      contactId,
      workspaceId,
      occurredAt,
      ...identity,
      ...(dropEmail ? { dropEmail: true } : {}),
    };
    const identify: ContactCommand =
      request.kind === 'sign_up' ? { type: 'SignUp', data, now } : { type: 'LogIn', data, now };
    return [identify, ...followUp];
  }
}

/** The contact looked up is a visitor, neither merged (its link followed) nor a lead or user. */
const isStillVisitor = (located: LocatedContact): boolean =>
  located.path.length === 1 && located.state.status === 'visitor';

/** The identity a sign-up or log-in gives, as reservations claim it; refused when it gives none. */
function claimsOf(request: Pick<IdentifyRequest, 'identity'>): IdentityClaim[] {
  const claims = identityClaimsOf({ role: 'user', ...request.identity });
  if (claims.length === 0) throw new MissingIdentity(['external_id', 'email']);
  return claims;
}

/** The email a visitor or lead becoming a user keeps, unless the identity gives another. */
function emailKeptAsUser(state: ContactState, identity: GivenIdentity): IdentityClaim[] {
  if (!isLive(state) || state.status === 'user' || identity.email !== undefined) return [];
  return identityClaimsOf({ role: 'user', email: state.email });
}

/** An email differing only in case from the one the contact has is that one, not another. */
function asStoredBy(state: ContactState, identity: GivenIdentity): GivenIdentity {
  if (!isLive(state) || identity.email === undefined || state.email === null) return identity;
  return normalizeIdentity('email', identity.email) === normalizeIdentity('email', state.email)
    ? { ...identity, email: state.email }
    : identity;
}
