import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { hash } from 'node:crypto';
import { Environment } from '../config/environment';
import { UpdateContactCommand } from '../contacts/commands/update-contact/update-contact.command';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../contacts/custom-attributes-policy';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import {
  ContactDomainError,
  ContactIsBlocked,
  ContactNotFound,
  EmailOfSeveralLeads,
} from '../contacts/domain/contact.errors';
import type { GivenIdentity, LiveRole } from '../contacts/domain/contact.events';
import { isLive, type ContactState } from '../contacts/domain/contact.state';
import {
  appendDecided,
  appendDecisions,
  decideEachInSequence,
  type DecidedStep,
} from '../identity-resolution/contact-decisions';
import { ContactReadModel } from '../contacts/queries/contact-read-model';
import { ContactLocator } from '../identity-resolution/contact-locator';
import { IdentitiesHeldByDifferentContacts } from '../identity-resolution/identity-resolution.errors';
import { IdentityResolution } from '../identity-resolution/identity-resolution.service';
import type { LocatedContact } from '../identity-resolution/located-contact';
import { visitorContactId } from '../identity-resolution/visitor-contact-id';
import { CLOCK, type Clock } from '../shared/clock';
import { WrongExpectedRevision } from '../shared/event-store/event-store.errors';
import {
  causeOf,
  EVENT_STORE,
  type EventMetadata,
  type EventStore,
} from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';
import { contactStreamId, normalizeIdentity } from '../shared/stream-names';
import { IDENTIFYING_TYPES, type MessengerItem } from './domain/messenger-item';
import { addressingField, addressingOf } from './domain/messenger-item.addressing';
import {
  attributeCommands,
  contactCommandsFor,
  contextCommands,
  registerVisitorCommand,
  type CommandSettings,
} from './domain/messenger-item.commands';
import { parseMessengerItem } from './domain/messenger-item.parse';
import { sessionGroups } from './session-groups';
import type { IngestionItemRecorded } from './domain/ingestion.events';
import { completionIdOf, IngestionRecords, stepEventIdOf } from './ingestion-records';
import { accepted, duplicate, rejected, type IngestionResult } from './ingestion-result';
import { KeyedSequencer } from '../shared/keyed-sequencer';
import { inStreamQueue } from '../shared/event-sourcing/handle-command';
import { pauseBeforeRetry } from '../shared/event-sourcing/retry-pause';

/**
 * Runs of an item, the first included, after concurrent writes to one of its streams: by other
 * instances on one EventStoreDB (this process's writers queue), each after a pause
 * (`pauseBeforeRetry`).
 */
const MAX_ATTEMPTS = 8;

interface ItemRun {
  readonly workspaceId: string;
  readonly item: MessengerItem;
  readonly settings: CommandSettings;
  readonly completionId: string;
  readonly metadata: EventMetadata;
  /** Ids of the item's append to the contact it ends on; the first is the completion id. */
  readonly eventId: (index: number) => string;
  /**
   * The contact the item's session (`contact_id`, or `visitor_id`) starts from, if any: its queue
   * key (`locateSession` finds whom it leads to now).
   */
  readonly sessionContactId: string | undefined;
  /** The queues it waits in (see `sequenceKeys`); the first is its own key. */
  readonly keys: readonly string[];
  /** The id of the user a sign-up without a session creates (see `newUserIdOf`). */
  readonly newUserId: string | undefined;
  /**
   * Completion records found before the item was queued, when that lookup is still good when it
   * runs (see `ingest`); otherwise it looks for its record itself.
   */
  recordsFoundEarlier?: Promise<ReadonlyMap<string, IngestionItemRecorded['data']>>;
}

/**
 * Turns a batch of messenger items into contact commands (ingestion.md).
 *
 * - Exactly-once effect: every item's first event has an id derived from workspace and key (its
 *   completion id) and is written in the same append as the item's effect; an item that changes
 *   nothing has no such event. Every completed item then records an `IngestionItemRecorded` in a
 *   stream named after its completion id. Before acting, an item looks for that record, and for
 *   its completion id on the streams of the contact it addresses; finding either, it is a
 *   `duplicate`.
 * - Accepted means durable: an item is answered `accepted` only after its append resolved, which
 *   the store does once the commit is on disk.
 * - Throughput and order: items run concurrently, except that items sharing a contact, identity
 *   or key are queued one after another in batch order (and across concurrent batches), so the
 *   appends of a batch meet in the event store's group commit.
 * - One visitor's burst: the items of a batch that `apply` takes on one visitor session without
 *   identity work (see `sessionGroups`) run as one task, queued where the first of them stands:
 *   decided one after another on the contact, written in one append (each item's events with
 *   its own ids, the completion id first), then recorded together (see `applyGroup`).
 */
@Injectable()
export class MessengerIngestion {
  private readonly logger = new Logger('MessengerIngestion');
  private readonly sequencer = new KeyedSequencer();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly customAttributes: CustomAttributesPolicy,
    private readonly locator: ContactLocator,
    private readonly identity: IdentityResolution,
    private readonly contacts: ContactReadModel,
    private readonly records: IngestionRecords,
    private readonly commands: CommandBus,
    private readonly environment: Environment,
  ) {}

  /**
   * Completion records are looked up once for the whole batch, for every item whose key no
   * earlier item of this process is still working on when it is queued: a record written before
   * then is found by that lookup, and none can be written after it before the item runs, since
   * only an item with the same key writes it, and such an item queues behind this one. An item
   * whose key is busy looks for its record when its turn comes.
   */
  ingest(workspaceId: string, items: readonly unknown[]): Promise<IngestionResult[]> {
    const now = Math.floor(this.clock.now() / 1000);
    const prepared = items.map((raw, index) => this.prepare(workspaceId, raw, index, now));
    const runs = prepared.filter((run): run is ItemRun => 'keys' in run);
    const lookedUpEarly: ItemRun[] = [];
    const running = new Map<ItemRun, Promise<IngestionResult>>();
    for (const task of sessionGroups(runs, (key) => this.sequencer.isBusy(key))) {
      if (task.length === 1) {
        const run = task[0]!;
        if (!this.sequencer.isBusy(run.keys[0]!)) lookedUpEarly.push(run);
        const result = this.sequencer.run(run.keys, () => this.runWithRetries(run));
        running.set(run, result);
        continue;
      }
      // Every member's key was free (see `sessionGroups`); the contact's key is theirs alike.
      lookedUpEarly.push(...task);
      const keys = [...task.map((run) => run.keys[0]!), task[0]!.keys[1]!];
      const group = this.sequencer.run(keys, () => this.runGroupWithRetries(task));
      const answerOf = (index: number) => group.then((answers) => answers[index]!);
      task.forEach((run, index) => running.set(run, answerOf(index)));
    }
    const results = prepared.map((run) =>
      'keys' in run ? running.get(run)! : Promise.resolve(run),
    );
    if (lookedUpEarly.length > 0) {
      const found = this.records.findMany(
        workspaceId,
        lookedUpEarly.map((run) => run.completionId),
      );
      // Each run awaits it; a failed lookup fails those items (answered per item, see rejection).
      found.catch(() => undefined);
      for (const run of lookedUpEarly) run.recordsFoundEarlier = found;
    }
    return Promise.all(results);
  }

  /** The parsed item with everything its run needs, or its rejection. */
  private prepare(
    workspaceId: string,
    raw: unknown,
    index: number,
    now: number,
  ): ItemRun | IngestionResult {
    const parsed = parseMessengerItem(raw, { now, index });
    if (!parsed.ok) return rejected(parsed.id, parsed.problems);
    const sent = parsed.item;
    // Dated ahead of the clock (by at most the 5 minutes parsing lets through): the producer's
    // clock runs fast, and the item happened now. The log's time never runs ahead of the
    // service's, which segment deadlines fire by.
    const item = sent.occurredAt > now ? { ...sent, occurredAt: now } : sent;
    const completionId = completionIdOf(workspaceId, item.id);
    const sessionContactId =
      item.contactId ??
      (item.visitorId ? visitorContactId(workspaceId, item.visitorId) : undefined);
    return {
      workspaceId,
      item,
      settings: { now, seenThrottleSeconds: this.environment.SEEN_THROTTLE },
      completionId,
      metadata: {
        workspaceId,
        occurredAt: item.occurredAt * 1000,
        schemaVersion: 1,
        causationId: item.id,
        actor: 'messenger',
      },
      eventId: (eventIndex) =>
        eventIndex === 0 ? completionId : stepEventIdOf(workspaceId, item.id, 'effect', eventIndex),
      sessionContactId,
      keys: sequenceKeys(workspaceId, item, sessionContactId),
      // From the time as sent, so that a retry later on continues with the same user.
      newUserId: item.type === 'contact.signed_up' ? newUserIdOf(workspaceId, sent) : undefined,
    };
  }

  private async runWithRetries(run: ItemRun): Promise<IngestionResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const recorded = await this.recordedEarlier(run);
        if (recorded) return recorded;
        return IDENTIFYING_TYPES.has(run.item.type)
          ? await this.identify(run)
          : await this.apply(run);
      } catch (error) {
        const retried =
          error instanceof WrongExpectedRevision || (await this.sessionEndedMeanwhile(run, error));
        if (retried && attempt < MAX_ATTEMPTS) {
          await pauseBeforeRetry(attempt);
          continue;
        }
        return this.rejection(run.item, error);
      }
    }
  }

  /** A `duplicate` answer when the item's completion is recorded. */
  private async recordedEarlier(run: ItemRun): Promise<IngestionResult | undefined> {
    const record = run.recordsFoundEarlier
      ? (await run.recordsFoundEarlier).get(run.completionId)
      : await this.records.find(run.workspaceId, run.completionId);
    // Named as the contact lives on now (merge links followed), as for an effect found.
    if (record === undefined) return undefined;
    return duplicate(
      run.item.id,
      (await this.locator.locate(run.workspaceId, record.contactId)).contactId,
    );
  }

  /**
   * The items of one visitor's burst (see `sessionGroups`), answered in their order: each found
   * recorded is a duplicate, and the others are applied together (`applyGroup`), again whole
   * after a concurrent write to the contact, as one item is (`runWithRetries`).
   */
  private async runGroupWithRetries(runs: readonly ItemRun[]): Promise<IngestionResult[]> {
    const answered = new Map<ItemRun, IngestionResult>();
    await Promise.all(
      runs.map(async (run) => {
        const recorded = await this.recordedEarlier(run).catch((error: unknown) =>
          this.rejection(run.item, error),
        );
        if (recorded) answered.set(run, recorded);
      }),
    );
    const open = runs.filter((run) => !answered.has(run));
    for (let attempt = 1; open.length > 0; attempt += 1) {
      try {
        for (const [run, result] of await this.applyGroup(open)) answered.set(run, result);
        break;
      } catch (error) {
        const retried =
          error instanceof WrongExpectedRevision ||
          (await this.sessionEndedMeanwhile(open[0]!, error));
        if (retried && attempt < MAX_ATTEMPTS) {
          await pauseBeforeRetry(attempt);
          continue;
        }
        for (const run of open) answered.set(run, this.rejection(run.item, error));
        break;
      }
    }
    return runs.map((run) => answered.get(run)!);
  }

  /**
   * `apply` for several items of one visitor session at once: the contact located once (again in
   * its stream queue), each item decided against the state the ones before it left (one whose
   * completion id the contact holds is a duplicate, one refused leaves the state as it was), all
   * their events in one append expecting the revision located, then every completed item's
   * record, concurrently so that they meet in the store's group commit. Throws, for the caller
   * to run the group again, what concerns them all (a concurrent write, the contact deleted).
   */
  private async applyGroup(runs: readonly ItemRun[]): Promise<Map<ItemRun, IngestionResult>> {
    const { workspaceId, item } = runs[0]!;
    const eventIds = runs.map((run) => run.completionId);
    const session = await this.locator.locateSession(workspaceId, item.visitorId!, { eventIds });
    return inStreamQueue(this.store, contactStreamId(workspaceId, session.contactId), async () => {
      const answers = new Map<ItemRun, IngestionResult>();
      // Again, in the queue: a command ahead of these items may have changed the contact.
      const contact = await this.locator.locate(workspaceId, session.contactId, {
        eventIds,
        inQueueOfContact: true,
      });
      for (const run of runs) {
        const found = [session, contact].find((at) => at.foundEventIds.has(run.completionId));
        if (found) answers.set(run, duplicate(run.item.id, found.contactId));
      }
      const pending = runs.filter((run) => !answers.has(run));
      if (pending.length === 0) return answers;
      if (contact.state.status !== 'none' && !isLive(contact.state))
        throw new ContactNotFound(contact.contactId);
      // Each item's custom attributes checked, as `applyTo` does: one refused is rejected alone.
      const refusals = await Promise.all(
        pending.map((run) =>
          this.validateCustomAttributes(run).then(
            () => undefined,
            (error: unknown) => this.rejection(run.item, error),
          ),
        ),
      );
      pending.forEach((run, index) => {
        const refusal = refusals[index];
        if (refusal) answers.set(run, refusal);
      });
      const toDecide = pending.filter((run) => !answers.has(run));
      const decided = decideEachInSequence(contact.state, toDecide, (run, state) =>
        this.sessionCommands(run, contact.contactId, state),
      );
      const steps: Array<DecidedStep & { readonly run: ItemRun }> = [];
      toDecide.forEach((run, index) => {
        const outcome = decided.outcomes[index]!;
        if ('refusal' in outcome) answers.set(run, this.rejection(run.item, outcome.refusal));
        else
          steps.push({ run, events: outcome.events, metadata: run.metadata, eventId: run.eventId });
      });
      await appendDecided(this.store, contact, steps, decided.state);
      const recorded = await Promise.allSettled(
        steps.map((step) =>
          this.recordCompletion(step.run, contact.contactId, step.events.length > 0),
        ),
      );
      steps.forEach((step, index) => {
        const record = recorded[index]!;
        answers.set(
          step.run,
          record.status === 'fulfilled'
            ? accepted(step.run.item.id, contact.contactId)
            : this.rejection(step.run.item, record.reason),
        );
      });
      return answers;
    });
  }

  /**
   * What `applyTo` asks of the contact a visitor session leads to, in the state the group's
   * items before this one left: its registration first while it has none.
   */
  private sessionCommands(run: ItemRun, contactId: string, state: ContactState): ContactCommand[] {
    const { workspaceId, item, settings } = run;
    const target = { workspaceId, contactId };
    if (isLive(state)) return contactCommandsFor(item, { ...target, role: state.status }, settings);
    if (state.status !== 'none') throw new ContactNotFound(contactId);
    return [
      registerVisitorCommand({ ...item, visitorId: item.visitorId! }, target, settings),
      ...contactCommandsFor(item, { ...target, role: 'visitor' }, settings),
    ];
  }

  /**
   * A contact the item's visitor_id led to was deleted while the item was under way: from now on
   * the id starts the next visitor (`locateSession`), so the item runs again rather than failing,
   * as if it had come after the deletion.
   */
  private async sessionEndedMeanwhile(run: ItemRun, error: unknown): Promise<boolean> {
    if (!(error instanceof ContactNotFound) || addressingOf(run.item).by !== 'visitor_id')
      return false;
    const named = await this.locator.locate(run.workspaceId, error.contactId);
    return named.state.status === 'deleted';
  }

  /**
   * Items other than sign-up and log-in: one append to the contact they address, in the queue of
   * the API's commands on that contact (one at a time in this process, so neither side keeps
   * losing the race for the stream's revision under load on one contact).
   */
  private async apply(run: ItemRun): Promise<IngestionResult> {
    const { workspaceId, item } = run;
    const addressed = await this.address(run);
    if (addressed.containsEvent) return duplicate(item.id, addressed.contactId);
    const applied = await inStreamQueue(
      this.store,
      contactStreamId(workspaceId, addressed.contactId),
      async () => {
        // Again, in the queue: a command ahead of this item may have changed the contact.
        const contact = await this.locator.locate(workspaceId, addressed.contactId, {
          eventId: run.completionId,
          inQueueOfContact: true,
        });
        if (contact.containsEvent) return duplicate(item.id, contact.contactId);
        return this.applyTo(run, contact);
      },
    );
    // A user's email goes through the update command, which queues on the stream itself.
    return (
      applied ??
      this.supplyUserEmail(run, {
        workspaceId,
        contactId: addressed.contactId,
        // The session's contact, when a merge led from it to the user.
        ...(addressed.path.length > 1 ? { mergedFrom: addressed.path[0]! } : {}),
      })
    );
  }

  /** The item's append; undefined for a user's email, which `supplyUserEmail` takes instead. */
  private async applyTo(
    run: ItemRun,
    contact: LocatedContact,
  ): Promise<IngestionResult | undefined> {
    const { workspaceId, item, settings } = run;
    const commands: ContactCommand[] = [];
    let role: LiveRole;
    const target = { workspaceId, contactId: contact.contactId };
    const addressing = addressingOf(item);
    if (contact.state.status === 'none' && addressing.by === 'visitor_id') {
      commands.push(
        registerVisitorCommand({ ...item, visitorId: addressing.visitorId }, target, settings),
      );
      role = 'visitor';
    } else if (isLive(contact.state)) {
      role = contact.state.status;
    } else {
      throw new ContactNotFound(contact.contactId);
    }
    await this.validateCustomAttributes(run);
    if (item.type === 'email.supplied' && role === 'user') return undefined;
    commands.push(...contactCommandsFor(item, { ...target, role }, settings));
    const outcome = await appendDecisions(this.store, contact, commands, {
      metadata: run.metadata,
      eventId: run.eventId,
    });
    await this.recordCompletion(run, contact.contactId, outcome.events.length > 0);
    return accepted(item.id, contact.contactId);
  }

  /** Sign-up and log-in: identity resolution, from the session's visitor or contact. */
  private async identify(run: ItemRun): Promise<IngestionResult> {
    const { workspaceId, item, settings } = run;
    const identity = {
      ...(item.externalId !== undefined ? { external_id: item.externalId } : {}),
      ...(item.email !== undefined ? { email: item.email } : {}),
    };
    const request = {
      workspaceId,
      identity,
      kind: item.type === 'contact.signed_up' ? ('sign_up' as const) : ('log_in' as const),
      occurredAt: item.occurredAt,
      now: settings.now,
      followUp: (contactId: string) => [
        ...attributeCommands(item, { workspaceId, contactId }, settings),
        ...contextCommands(item, { workspaceId, contactId }, settings),
      ],
      metadata: run.metadata,
      eventId: run.eventId,
    };
    let session: LocatedContact | undefined;
    const sessionId = run.sessionContactId;
    if (sessionId !== undefined) {
      session = await this.locateSession(run, { eventId: run.completionId });
      if (session.containsEvent) return duplicate(item.id, session.contactId);
      await this.refuseVisitorOfAnother(run, session);
    } else {
      const named = await this.contactNamedBy(run, identity);
      if (named?.containsEvent) return duplicate(item.id, named.contactId);
      // A lead named by its identity is the contact that signs up or logs in, as any other item
      // naming it would address it; a user named so is found again by `identify` as the holder.
      if (named?.state.status === 'lead') session = named;
    }
    await this.validateCustomAttributes(run);
    if (
      sessionId !== undefined &&
      session?.state.status === 'none' &&
      item.visitorId !== undefined &&
      !item.contactId
    ) {
      await this.identity.refusalForNewSession(request);
      // The visitor exists from now on, so that its id leads to whoever it turns out to be.
      await appendDecisions(
        this.store,
        session,
        [registerVisitorCommand({ ...item, visitorId: item.visitorId }, session, settings)],
        {
          metadata: run.metadata,
          eventId: (index) => stepEventIdOf(workspaceId, item.id, 'register', index),
        },
      );
      session = await this.locator.locate(workspaceId, session.contactId);
    }
    const outcome = await this.identity.identify({
      ...request,
      session,
      sessionNamed: item.contactId !== undefined,
      ...(session === undefined && run.newUserId !== undefined ? { newUserId: run.newUserId } : {}),
    });
    await this.recordCompletion(run, outcome.contactId, outcome.events.length > 0);
    return accepted(item.id, outcome.contactId);
  }

  /**
   * The contact a session-less sign-up or log-in names by identity alone: the holder of its
   * external_id or email, or else, when it gives an email and no external_id, the only lead
   * with that email (as `address` finds it).
   */
  private async contactNamedBy(
    run: ItemRun,
    identity: GivenIdentity,
  ): Promise<LocatedContact | undefined> {
    const { workspaceId, item } = run;
    const options = { eventId: run.completionId };
    const holder = await this.identity.findHolder(workspaceId, identity, options);
    if (holder !== undefined) return holder;
    if (item.externalId !== undefined || item.email === undefined) return undefined;
    const lead = await this.contacts.findByEmail(workspaceId, item.email).catch((error) => {
      // Leads sharing the email name nobody in particular: the sign-up makes a new user.
      if (error instanceof EmailOfSeveralLeads) return undefined;
      throw error;
    });
    return lead?.role === 'lead' ? this.locator.locate(workspaceId, lead.id, options) : undefined;
  }

  /** The contact of the item's session: its contact_id, or whom its visitor_id leads to now. */
  private locateSession(
    run: ItemRun,
    options: { readonly eventId?: string },
  ): Promise<LocatedContact> {
    const { workspaceId, item } = run;
    return item.contactId !== undefined
      ? this.locator.locate(workspaceId, item.contactId, options)
      : this.locator.locateSession(workspaceId, item.visitorId!, options);
  }

  /**
   * Refuses (conflict naming visitor_id) an item whose visitor_id leads, merge links followed, to
   * a live contact other than the one it names (by contact_id): one browser's activity is not
   * credited to another person. A visitor_id that leads to nobody yet (a browser not seen before,
   * or whose contact was deleted) names no second contact; a named contact that is not live is
   * refused as not found, whoever the visitor_id leads to.
   */
  private async refuseVisitorOfAnother(run: ItemRun, named: LocatedContact): Promise<void> {
    const { workspaceId, item } = run;
    const addressing = addressingOf(item);
    if (addressing.by === 'visitor_id' || addressing.visitorId === undefined) return;
    if (!isLive(named.state)) return;
    const visitor = await this.locator.locateSession(workspaceId, addressing.visitorId);
    if (isLive(visitor.state) && visitor.contactId !== named.contactId)
      throw new IdentitiesHeldByDifferentContacts(
        [named.contactId, visitor.contactId],
        'visitor_id',
      );
  }

  /** The contact an item names (see `addressingOf`); a visitor's is registered by `applyTo`. */
  private async address(run: ItemRun): Promise<LocatedContact> {
    const { workspaceId, item } = run;
    const options = { eventId: run.completionId };
    const addressing = addressingOf(item);
    switch (addressing.by) {
      case 'visitor_id':
        return this.locator.locateSession(workspaceId, addressing.visitorId, options);
      case 'contact_id': {
        const named = await this.locator.locate(workspaceId, addressing.contactId, options);
        await this.identity.refuseIdentityOfAnother(
          workspaceId,
          named,
          addressing.identity,
          'contact_id',
        );
        await this.refuseVisitorOfAnother(run, named);
        return named;
      }
      case 'identity': {
        const named = await this.holderOrOnlyLead(run, addressing.identity, options);
        if (named === undefined)
          throw new ContactNotFound(item.externalId ?? item.email ?? '', addressing.field);
        await this.refuseVisitorOfAnother(run, named);
        return named;
      }
    }
  }

  /**
   * The holder of the identity; for an email alone, else the only lead with it (a lead's email is
   * no identity, leads may share one: the read model finds it).
   */
  private async holderOrOnlyLead(
    run: ItemRun,
    identity: GivenIdentity,
    options: { readonly eventId?: string },
  ): Promise<LocatedContact | undefined> {
    const { workspaceId } = run;
    const holder = await this.identity.findHolder(workspaceId, identity, options);
    if (holder) return holder;
    if (identity.external_id !== undefined || identity.email === undefined) return undefined;
    const lead = await this.contacts.findByEmail(workspaceId, identity.email);
    return lead ? this.locator.locate(workspaceId, lead.id, options) : undefined;
  }

  /**
   * A user's email is an identity: the update goes through the contacts update workflow, which
   * claims the new value and releases the old one, dated at the item's time as any item's write
   * is, unless the visitor or lead the user was supplied it (`mergedFrom` being the session's
   * contact merged into the user): the user then keeps its own (see `UpdateContact.supplied`).
   * The item's context follows as its sighting. Neither carries an id of the item, so the
   * record proves completion (a retry in between repeats an update that changes nothing, and a
   * sighting the throttle lets by no more).
   */
  private async supplyUserEmail(
    run: ItemRun,
    target: {
      readonly workspaceId: string;
      readonly contactId: string;
      readonly mergedFrom?: string;
    },
  ): Promise<IngestionResult> {
    await this.commands.execute(
      new UpdateContactCommand(
        target.workspaceId,
        target.contactId,
        undefined,
        { ...run.item.attributes, email: run.item.email ?? null },
        causeOf(run.metadata),
        undefined,
        run.item.occurredAt,
        target.mergedFrom !== undefined ? { mergedFrom: target.mergedFrom } : {},
      ),
    );
    const sighting = contextCommands(
      run.item,
      { workspaceId: target.workspaceId, contactId: target.contactId },
      run.settings,
    );
    if (sighting.length > 0) {
      await inStreamQueue(
        this.store,
        contactStreamId(target.workspaceId, target.contactId),
        async () =>
          appendDecisions(
            this.store,
            await this.locator.locate(target.workspaceId, target.contactId, {
              inQueueOfContact: true,
            }),
            sighting,
            {
              metadata: run.metadata,
              eventId: (index) => stepEventIdOf(target.workspaceId, run.item.id, 'sighting', index),
            },
          ),
      );
    }
    await this.recordCompletion(run, target.contactId, false);
    return accepted(run.item.id, target.contactId);
  }

  private async validateCustomAttributes(run: ItemRun): Promise<void> {
    const custom = run.item.attributes?.custom_attributes;
    if (custom && Object.keys(custom).length > 0)
      await this.customAttributes.validate(run.workspaceId, custom, 'messenger');
  }

  /**
   * Every completed item is recorded under its key, whatever contact it ended on, so that the key
   * sent again is a duplicate even when it would now address another contact (another visitor, or
   * an email a user took meanwhile). Written after the effect: a crash in between leaves the
   * completion id on the contact's stream, which a retry finds there. `withEffect`: the completion
   * id is taken by the effect's first event, and the record gets an id of its own.
   */
  private recordCompletion(run: ItemRun, contactId: string, withEffect: boolean): Promise<void> {
    return this.records.record(
      run.completionId,
      { workspaceId: run.workspaceId, itemId: run.item.id, contactId },
      run.metadata,
      withEffect ? stepEventIdOf(run.workspaceId, run.item.id, 'record', 0) : run.completionId,
    );
  }

  private rejection(item: MessengerItem, error: unknown): IngestionResult {
    if (error instanceof ContactNotFound) {
      return rejected(item.id, [
        { code: 'not_found', message: 'Contact Not Found', field: addressingField(item) },
      ]);
    }
    if (error instanceof ContactDomainError) {
      // The decider refuses the contact the item addressed without knowing how the item named it.
      const field =
        error.field ?? (error instanceof ContactIsBlocked ? addressingField(item) : undefined);
      return rejected(item.id, [
        { code: error.code, message: error.message, ...(field !== undefined ? { field } : {}) },
      ]);
    }
    if (error instanceof HttpProblem && error.status < 500) {
      // Only the custom attribute policy answers with a problem here; its fields are relative
      // to the item's attributes.
      return rejected(
        item.id,
        error.errors.map((problem) =>
          problem.field !== undefined
            ? { ...problem, field: `attributes.${problem.field}` }
            : problem,
        ),
      );
    }
    this.logger.error({ err: error, itemId: item.id }, 'Ingestion item failed');
    // The store may have committed the item before its answer was lost: a resend finds it.
    return rejected(item.id, [
      {
        code: 'server_error',
        message:
          'The item could not be processed, and may have been stored before the failure: send it again (a stored item is answered duplicate)',
      },
    ]);
  }
}

/**
 * The queues an item waits in: its own key (a repeated key waits for the first and then finds it
 * done), the contact its session names, and the identity values it gives or is addressed by.
 */
function sequenceKeys(
  workspaceId: string,
  item: MessengerItem,
  contactId: string | undefined,
): string[] {
  const keys = [`item:${workspaceId}:${item.id}`];
  if (contactId !== undefined) keys.push(`contact:${workspaceId}:${contactId}`);
  const byIdentity = addressingOf(item).by === 'identity' || IDENTIFYING_TYPES.has(item.type);
  if (byIdentity && item.externalId !== undefined)
    keys.push(`external_id:${workspaceId}:${item.externalId}`);
  if (byIdentity && item.email !== undefined)
    keys.push(`email:${workspaceId}:${normalizeIdentity('email', item.email)}`);
  return keys;
}

/**
 * The id of the user a session-less sign-up creates: derived from the key so that a retry after a
 * crash between claim and append continues with the same contact; time-ordered like every id.
 */
function newUserIdOf(workspaceId: string, item: MessengerItem): string {
  const seconds = item.occurredAt.toString(16).padStart(8, '0').slice(-8);
  const digest = hash('sha256', `${workspaceId}\u0000user\u0000${item.id}`, 'hex');
  return `${seconds}${digest.slice(0, 16)}`;
}
