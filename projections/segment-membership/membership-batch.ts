import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import { isLive, type ContactState } from '../../src/contacts/domain/contact.state';
import { contactStreamId } from '../../src/shared/stream-names';
import type {
  EvaluationContext,
  SearchableContact,
} from '../../src/contacts/search/contact-search.evaluate';
import type { EventStore, RecordedEvent } from '../../src/shared/event-store/event-store.port';
import type { TableResolver } from '../../src/projection-runner/projection';
import {
  isMemberAt,
  isMemberIn,
  isTimeBased,
  type LastDataEventAt,
  nextCheckAfter,
  snapshotOf,
  type SegmentRuleSnapshot,
} from '../../src/segments/domain/segment-membership';
import type { JsonValue } from '../../src/contacts/domain/contact.attributes';
import type {
  SegmentPersonType,
  StoredSegmentRule,
} from '../../src/segments/domain/segment.events';
import { parseStoredRule } from '../../src/segments/domain/segment.rule';
import {
  liveRow,
  liveSearchable,
  rowToState,
  searchableOfRow,
} from '../contacts/contacts.projection';
import type { ContactsTable } from '../contacts/contacts.table';
import { ContactDataEvents } from './contact-data-events';
import { ContactTimeline, eventSeconds } from './contact-timeline';
import { DeadlineQueue } from './deadline-queue';
import { insertRows, quoted, upsertClause } from '../shared/raw-insert';
import { RowWrites } from '../shared/row-writes';
import { selectByIds } from '../shared/raw-select';
import { positionText } from '../shared/log-position';
import { inputsOf, SegmentsByInput, SegmentsByRequiredValue } from './segment-inputs';
import { recordSpans } from './segment-membership.sql';
import {
  changeList,
  memberList,
  parseChangeList,
  parseMemberList,
  MEMBERSHIP_CONTACT_COLUMNS,
  MEMBERSHIP_CONTACT_KEY,
  membershipContactRow,
  membershipContactRowOf,
  membershipContactValuesOf,
  SEGMENT_CHANGES_COLUMNS,
  spanBucket,
  type SegmentChangesTable,
  type SegmentContactSegmentsTable,
  type SegmentMembershipContactsTable,
  type SegmentSpansTable,
  type SegmentMembershipReadModel,
} from './segment-membership.tables';

type Db = Kysely<SegmentMembershipReadModel>;

/** One contact as the batch holds it: its fold, its memberships and its deadlines. */
interface ContactEntry {
  readonly key: string;
  readonly workspaceId: string;
  readonly contactId: string;
  state: ContactState;
  /** Its row as loaded: the batch writes the columns the fold changed. */
  readonly stored: SegmentMembershipContactsTable | undefined;
  /** Its row as loaded, or as last built from the fold (see `rowStale`). */
  row: ContactsTable | undefined;
  /**
   * The fold is live and `row` predates it: the row is `liveRow` of the fold, built when read
   * (`currentRow`), since a workspace without segments reads it only when the batch is written.
   */
  rowStale: boolean;
  /** The row as the evaluator reads it; kept only while the workspace has segments to evaluate. */
  searchable: SearchableContact | undefined;
  revision: number;
  rowChanged: boolean;
  readonly initialMembers: ReadonlySet<string>;
  readonly members: Set<string>;
  /** Per segment, the next instant its membership may flip (derived from the fold at load). */
  readonly deadlines: Map<string, number>;
  /** The contact's row in the deadlines table as loaded: the earliest of `deadlines`, or less. */
  readonly storedDeadline: number | undefined;
  /**
   * The latest event time (seconds) among its events applied (-Infinity: none yet; undefined: not
   * known, a row written without it): a late event dated after all of them changes its fold alike
   * at every instant since, so its stream need not be read (`replayLate`).
   */
  latestEventAt: number | undefined;
}

interface WorkspaceEntry {
  readonly workspaceId: string;
  /**
   * Its segments, indexed: loaded when a contact event or a due deadline needs them. A segment
   * event's batch mostly only moves the clock, and a workspace of S segments would otherwise be
   * read and indexed whole once per segment event (S² over a log of segment creations).
   */
  indexed: IndexedSegments | undefined;
  /**
   * By stretch of the log and segment, the positions of the first and last change recorded (by
   * stretch first: a change looks its span up without building a key).
   */
  readonly spans: Map<string, Map<string, SegmentSpansTable>>;
  now: number;
  readonly initialNow: number | undefined;
  /** Earliest deadline in the database not yet pulled into the batch (undefined: none). */
  storedNext: number | undefined;
  readonly queue: DeadlineQueue;
}

/** A workspace's segments as the batch evaluates them, and what the batch recorded of each. */
interface IndexedSegments {
  readonly segments: readonly SegmentRuleSnapshot[];
  /** Which of `segments` read each field of a contact. */
  readonly byInput: SegmentsByInput;
  /** Which of `segments` a contact's values leave possible. */
  readonly byValue: SegmentsByRequiredValue;
  /** By index: whether the segment has a relative date filter (the only ones with deadlines). */
  readonly timed: readonly boolean[];
  /** The segments with a relative date filter. */
  readonly timedSegments: readonly SegmentRuleSnapshot[];
  readonly indexById: ReadonlyMap<string, number>;
  /** By index: entries minus exits this batch recorded. */
  readonly countDeltas: number[];
  /** By index: entries and exits this batch recorded. */
  readonly historyDeltas: number[];
}

export const contactKey = (workspaceId: string, contactId: string): string =>
  `${workspaceId}\u0000${contactId}`;

/**
 * The membership projection's working set for a run of contact events and clock ticks: the rows
 * it touches are loaded once, every event is applied in memory in log order (so the cost of an
 * event depends on its workspace's segments, never on its number of contacts), and `flush` writes
 * the differences. Deadlines due before an event fire first, at their own instant, in
 * (instant, segment, contact) order; those of contacts outside the batch are pulled in from the
 * database when due, so the outcome does not depend on where the log was cut into batches.
 */
export class MembershipBatch {
  private readonly contacts = new Map<string, ContactEntry>();
  private readonly workspaces = new Map<string, WorkspaceEntry>();
  /** The changes recorded, a row per (contact, position, instant, cause), in order. */
  private readonly changes: PendingChanges[] = [];
  /** Those of the position being recorded, by contact, instant and cause. */
  private readonly changesAtPosition = new Map<string, PendingChanges>();
  private seqPosition: bigint | undefined;
  private seqPositionText = '';
  private seqBucket = '';
  private seq = 0;
  private earliestWritten: number | undefined;
  /**
   * By workspace, the contacts whose history goes with a deletion in this batch: the deleted
   * contact and the leads merged into it (no route shows a deleted contact's data).
   */
  private readonly erased = new Map<string, Set<string>>();

  private readonly dataEvents: ContactDataEvents;
  private lastContext: EvaluationContext | undefined;

  /** By workspace, the rules its segments have had (loaded by the first late event replayed). */
  private readonly ruleVersions = new Map<string, ReadonlyMap<string, RuleVersion[]>>();
  /** By workspace, the instants one of its rules came or went at (read by the first late event). */
  private readonly ruleChanges = new Map<string, readonly number[]>();

  constructor(
    private readonly db: Db,
    private readonly tables: TableResolver<SegmentMembershipReadModel>,
    /** Where a late event's contact stream is read from (absent: its changes are dated now). */
    private readonly streams?: Pick<EventStore, 'readStream'>,
  ) {
    this.dataEvents = new ContactDataEvents(
      db,
      contactKey,
      tables('segment_membership_data_events'),
    );
  }

  /** Loads the batch's contacts (by workspace) and workspaces before any event is applied. */
  async preload(events: readonly RecordedEvent[]): Promise<void> {
    const byWorkspace = new Map<string, Set<string>>();
    for (const event of events) {
      const { workspaceId, contactId } = event.data as { workspaceId: string; contactId?: string };
      const ids = byWorkspace.get(workspaceId) ?? new Set<string>();
      if (contactId !== undefined) ids.add(contactId);
      // A merge source's data events become the target's.
      if (event.type === 'LeadMergeAbsorbed') ids.add((event.data as { from: string }).from);
      byWorkspace.set(workspaceId, ids);
    }
    for (const [workspaceId, ids] of byWorkspace) {
      const workspace = await this.workspace(workspaceId);
      await this.loadContacts(workspaceId, [...ids], workspace.now);
    }
  }

  /** The workspace's membership clock (unix seconds), after the events applied so far. */
  async clockOf(workspaceId: string): Promise<number> {
    return (await this.workspace(workspaceId)).now;
  }

  /**
   * Moves the workspace's clock to the event's time (it never goes back: late events keep the
   * clock where it is) and fires every deadline due by then, attributed to `event`'s position.
   */
  async advance(workspaceId: string, at: number, event: RecordedEvent): Promise<number> {
    // Awaited only when not loaded: every event comes here, and an await costs its frame.
    const workspace = this.workspaces.get(workspaceId) ?? (await this.workspace(workspaceId));
    const before = workspace.now;
    workspace.now = Math.max(workspace.now, at);
    const now = workspace.now;
    if (workspace.storedNext !== undefined && workspace.storedNext <= now) {
      const due = await this.db
        .selectFrom('segment_membership_deadlines')
        .select('contact_id')
        .where('workspace_id', '=', workspaceId)
        .where('at', '<=', now)
        .execute();
      // Their deadlines are derived as of the clock before this advance: those in between fire.
      await this.loadContacts(
        workspaceId,
        due
          .map((row) => row.contact_id)
          .filter((id) => !this.contacts.has(contactKey(workspaceId, id))),
        before,
      );
      workspace.storedNext = await this.storedNextAfter(workspaceId, now);
    }
    this.fireDue(workspace, now, event.position);
    return now;
  }

  /** Fires the workspace's deadlines due by `now`, in order, attributed to `position`. */
  private fireDue(workspace: WorkspaceEntry, now: number, position: bigint): void {
    // Only contacts loaded (with the workspace's segments) put deadlines in the queue.
    const indexed = workspace.indexed;
    for (let next = workspace.queue.peek(); next && next.at <= now; next = workspace.queue.peek()) {
      workspace.queue.pop();
      const contact = this.contacts.get(next.contactKey);
      const index = indexed?.indexById.get(next.segmentId);
      if (
        !contact ||
        !indexed ||
        index === undefined ||
        contact.deadlines.get(next.segmentId) !== next.at
      ) {
        continue;
      }
      const lastDataEventAt = this.dataEvents.of(contact.workspaceId, contact.contactId);
      this.evaluate(
        contact,
        workspace,
        indexed,
        index,
        next.at,
        position,
        undefined,
        lastDataEventAt,
      );
    }
  }

  /** Folds a contact event into its contact and re-evaluates it against the workspace's segments. */
  async applyContactEvent(event: RecordedEvent, now: number): Promise<void> {
    const { workspaceId, contactId } = event.data as { workspaceId: string; contactId: string };
    const contact = this.contacts.get(contactKey(workspaceId, contactId));
    if (!contact) throw new Error(`Contact ${contactId} was not preloaded`);
    const revision = Number(event.revision);
    if (revision <= contact.revision) return;
    const previous = contact.state;
    const before = contact.searchable;
    const state = evolve(previous, toContactEvent(event));
    if (!isLive(state)) contact.row = rowOf(state, previous, currentRow(contact), revision);
    contact.rowStale = isLive(state);
    contact.state = state;
    contact.revision = revision;
    contact.rowChanged = true;
    const workspace = this.workspaces.get(workspaceId) ?? (await this.workspace(workspaceId));
    const indexed = workspace.indexed ?? (await this.indexedSegments(workspace));
    const evaluated = indexed.segments.length > 0;
    // Not `currentRow`: the row's JSON text is built once, when the batch writes it.
    if (evaluated) {
      contact.searchable = isLive(state) ? liveSearchable(state, revision) : contact.row;
    }
    if (state.status === 'deleted' && isLive(previous)) {
      const erased = this.erased.get(workspaceId) ?? new Set<string>();
      erased.add(contactId);
      for (const merged of previous.merge_history) erased.add(merged.source_contact_id);
      this.erased.set(workspaceId, erased);
    }
    const at = eventSeconds(event);
    const latestBefore = contact.latestEventAt;
    if (latestBefore !== undefined) contact.latestEventAt = Math.max(latestBefore, at);
    const late =
      this.streams !== undefined &&
      at < now &&
      state.status !== 'deleted' &&
      !this.erased.get(workspaceId)?.has(contactId);
    const ruleChanges = late
      ? (this.ruleChanges.get(workspaceId) ?? (await this.ruleChangesOf(workspaceId)))
      : undefined;
    // Asked before the event's data events are folded: of the contact as it was.
    const steady =
      ruleChanges !== undefined &&
      latestBefore !== undefined &&
      latestBefore <= at &&
      this.steadyAfter(contact, indexed, ruleChanges, before, at, now);
    this.foldDataEvents(event);
    if (late && !steady) {
      await this.replayLate(contact, workspace, indexed, event, now);
      return;
    }
    if (!evaluated) return;
    // A steady late event is an event in time order at its own second: nothing else happened to
    // its contact since (`steadyAfter`).
    const evaluatedAt = late ? at : now;
    const { affected, candidates } = this.mayHaveChanged(contact, indexed, before);
    const lastDataEventAt = this.dataEvents.of(workspaceId, contactId);
    for (let index = 0; index < indexed.segments.length; index += 1) {
      if (candidates[index] === 0 || (affected !== undefined && affected[index] === 0)) continue;
      this.evaluate(
        contact,
        workspace,
        indexed,
        index,
        evaluatedAt,
        event.position,
        event,
        lastDataEventAt,
      );
    }
    // Then, as in time order, the deadlines those evaluations gave up to the clock (every other
    // deadline up to it has fired: the queue holds only these), at the event's position.
    if (late) this.fireDue(workspace, now, event.position);
  }

  /**
   * By segment index, those an event that turned `before` into the contact's row may have changed
   * (both arrays must mark it): `affected`, those reading a field that changed (undefined: all);
   * `candidates`, those the contact's values leave possible, or it is a member of or holds a
   * deadline of. The arrays are reused: read them before the next call.
   */
  private mayHaveChanged(
    contact: ContactEntry,
    indexed: IndexedSegments,
    before: SearchableContact | undefined,
  ): SegmentsToEvaluate {
    // Most events change a few fields: only the segments that read them can change.
    const affected = indexed.byInput.affectedBetween(before, contact.searchable);
    // A segment impossible for the contact's values is false now: evaluating it changes nothing
    // unless the contact is a member or holds a deadline of it.
    const candidates = indexed.byValue.possibleFor(contact.searchable);
    // Two loops, not one over both: each event comes here, and that one allocated as it went.
    for (const segmentId of contact.members) {
      const index = indexed.indexById.get(segmentId);
      if (index !== undefined) candidates[index] = 1;
    }
    for (const segmentId of contact.deadlines.keys()) {
      const index = indexed.indexById.get(segmentId);
      if (index !== undefined) candidates[index] = 1;
    }
    return { affected, candidates };
  }

  private foldDataEvents(recorded: RecordedEvent): void {
    const event = toContactEvent(recorded);
    const { workspaceId, contactId } = event.data;
    if (event.type === 'DataEventTracked') {
      this.dataEvents.track(workspaceId, contactId, event.data.name, event.data.createdAt);
    } else if (event.type === 'DataEventSummaryReported') {
      this.dataEvents.track(workspaceId, contactId, event.data.name, event.data.last);
    } else if (event.type === 'LeadMergeAbsorbed') {
      this.dataEvents.absorb(workspaceId, contactId, event.data.from);
    } else if (event.type === 'ContactDeleted') {
      this.dataEvents.delete(workspaceId, contactId);
    }
  }

  /** Writes everything the batch changed; call once, then drop the batch. */
  async flush(): Promise<void> {
    await this.dataEvents.flush();
    await this.flushErasures();
    await this.flushContacts();
    await this.flushMemberLists();
    await insertRows(
      this.db as Kysely<unknown>,
      this.tables('segment_membership_changes'),
      SEGMENT_CHANGES_COLUMNS,
      this.changes.sort(byContactThenOrder).map((pending): SegmentChangesTable => ({
        ...pending,
        entered: changeList(pending.entered),
        exited: changeList(pending.exited),
      })),
    );
    await this.flushDeadlines();
    await this.flushMemberCounts();
    await this.flushSpans();
    for (const [workspaceId, workspace] of this.workspaces) {
      if (workspace.initialNow === workspace.now) continue;
      await this.db
        .insertInto('segment_membership_clocks')
        .values({ workspace_id: workspaceId, now: workspace.now })
        .onConflict((conflict) =>
          conflict.column('workspace_id').doUpdateSet({ now: workspace.now }),
        )
        .execute();
    }
  }

  /** The earliest deadline this batch wrote (a hint for the scheduler). */
  get earliestDeadlineWritten(): number | undefined {
    return this.earliestWritten;
  }

  private evaluate(
    contact: ContactEntry,
    workspace: WorkspaceEntry,
    indexed: IndexedSegments,
    index: number,
    now: number,
    position: bigint,
    cause: RecordedEvent | undefined,
    // Looked up once per event by the caller, not once per segment.
    lastDataEventAt: LastDataEventAt | undefined,
  ): void {
    const segment = indexed.segments[index]!;
    const member = isMemberIn(
      contact.searchable,
      segment,
      this.contextAt(segment.timeZone, now, lastDataEventAt),
    );
    if (member !== contact.members.has(segment.id)) {
      if (member) contact.members.add(segment.id);
      else contact.members.delete(segment.id);
      indexed.countDeltas[index]! += member ? 1 : -1;
      indexed.historyDeltas[index]! += 1;
      this.record(contact, segment, member ? 'entered' : 'exited', now, position, cause);
      this.widenSpan(workspace, segment.id);
    }
    this.scheduleNextCheck(contact, workspace, indexed, index, now, lastDataEventAt);
  }

  /** The context of the last evaluation, if it is that one (an event's segments share it). */
  private contextAt(
    timeZone: string,
    now: number,
    lastDataEventAt: LastDataEventAt | undefined,
  ): EvaluationContext {
    const last = this.lastContext;
    if (
      last !== undefined &&
      last.timeZone === timeZone &&
      last.now === now &&
      last.lastDataEventAt === lastDataEventAt
    ) {
      return last;
    }
    this.lastContext = { timeZone, now, lastDataEventAt };
    return this.lastContext;
  }

  /** The contact's next instant the segment may flip at by time alone, after `now`. */
  private scheduleNextCheck(
    contact: ContactEntry,
    workspace: WorkspaceEntry,
    indexed: IndexedSegments,
    index: number,
    now: number,
    lastDataEventAt: LastDataEventAt | undefined,
  ): void {
    // Only a segment with a relative filter has deadlines (`nextCheckAfter` is undefined for the
    // others, and none of theirs is ever stored).
    if (!indexed.timed[index]) return;
    const segment = indexed.segments[index]!;
    const next = nextCheckAfter(contact.searchable, segment, now, lastDataEventAt);
    const current = contact.deadlines.get(segment.id);
    if (next === current) return;
    if (next === undefined) {
      contact.deadlines.delete(segment.id);
      return;
    }
    contact.deadlines.set(segment.id, next);
    workspace.queue.push({ at: next, segmentId: segment.id, contactKey: contact.key });
    if (this.earliestWritten === undefined || next < this.earliestWritten) {
      this.earliestWritten = next;
    }
  }

  /** The segment's span of the stretch of the change just recorded now reaches its position. */
  private widenSpan(workspace: WorkspaceEntry, segmentId: string): void {
    let inStretch = workspace.spans.get(this.seqBucket);
    if (!inStretch) {
      inStretch = new Map();
      workspace.spans.set(this.seqBucket, inStretch);
    }
    const span = inStretch.get(segmentId);
    if (!span) {
      inStretch.set(segmentId, {
        workspace_id: workspace.workspaceId,
        segment_id: segmentId,
        bucket: this.seqBucket,
        first_position: this.seqPositionText,
        last_position: this.seqPositionText,
      });
    } else if (this.seqPositionText > span.last_position) {
      span.last_position = this.seqPositionText;
    }
  }

  private record(
    contact: ContactEntry,
    segment: Pick<SegmentRuleSnapshot, 'id' | 'ruleVersion'>,
    change: 'entered' | 'exited',
    at: number,
    position: bigint,
    cause: ChangeCause | undefined,
  ): void {
    if (this.seqPosition !== position) {
      this.seqPosition = position;
      this.seqPositionText = positionText(position);
      this.seqBucket = spanBucket(position);
      this.seq = 0;
      this.changesAtPosition.clear();
    }
    const causeId = cause ? cause.id : null;
    // An event's changes of one contact are recorded one after the other: most need no lookup.
    const last = this.changes[this.changes.length - 1];
    let pending =
      last !== undefined &&
      last.position === this.seqPositionText &&
      last.contact_id === contact.contactId &&
      last.workspace_id === contact.workspaceId &&
      last.effective_at === at &&
      last.cause_event_id === causeId
        ? last
        : undefined;
    if (!pending) {
      const key = `${contact.key}\u0000${at}\u0000${causeId ?? ''}`;
      pending = this.changesAtPosition.get(key);
      if (!pending) {
        this.seq += 1;
        pending = {
          workspace_id: contact.workspaceId,
          contact_id: contact.contactId,
          position: this.seqPositionText,
          seq: this.seq,
          effective_at: at,
          cause: cause ? 'event' : 'deadline',
          cause_event_id: causeId,
          cause_event_type: cause ? cause.type : null,
          entered: [],
          exited: [],
        };
        this.changesAtPosition.set(key, pending);
        this.changes.push(pending);
      }
    }
    pending[change].push({ segmentId: segment.id, ruleVersion: segment.ruleVersion });
  }

  /**
   * A late event (dated before its workspace's clock): the contact's memberships over the time
   * since that event are evaluated again, as the contact's own as-of fold has it at each second
   * (`ContactTimeline`) against the rule in force then, and its changes from the event's second on
   * are replaced by those, recorded at the late event's position in the order they happened. The
   * seconds evaluated are the event's own, those its contact's fold changes at (each segment, or
   * only those reading the data events dated then), those rules change or segments go at, and the
   * deadlines the fold gives (that segment only).
   */
  private async replayLate(
    contact: ContactEntry,
    workspace: WorkspaceEntry,
    indexed: IndexedSegments,
    event: RecordedEvent,
    now: number,
  ): Promise<void> {
    const versions = await this.ruleVersionsOf(workspace.workspaceId, indexed);
    // A workspace that never had a segment has no membership to date.
    if (versions.size === 0) return;
    const from = eventSeconds(event);
    const timeline = new ContactTimeline(await this.streamUpTo(contact, event), from);
    const members = await this.membersBefore(contact, indexed, from);
    /** Per second to evaluate: every segment (`all`), or those named. */
    const due = new Map<number, { all: boolean; segments: Set<string> }>();
    const dueAt = (at: number) => {
      const known = due.get(at) ?? { all: false, segments: new Set<string>() };
      due.set(at, known);
      return known;
    };
    dueAt(from).all = true;
    for (const [at, change] of timeline.changes) {
      if (at > now) continue;
      if (change.fold) dueAt(at).all = true;
      for (const [segmentId, list] of versions) {
        const reads = list.some((version) =>
          version.snapshot.dataEventFilters.some((filter) => change.dataEvents.has(filter.value)),
        );
        if (reads) dueAt(at).segments.add(segmentId);
      }
    }
    for (const at of await this.ruleChangesOf(workspace.workspaceId)) {
      if (at > from && at <= now) dueAt(at).all = true;
    }
    const seconds = [...due.keys()].sort((a, b) => a - b);
    for (let next = 0; next < seconds.length; next += 1) {
      const at = seconds[next]!;
      const { all, segments } = due.get(at)!;
      const { searchable, lastDataEventAt, cause } = timeline.at(at);
      for (const [segmentId, list] of versions) {
        if (!all && !segments.has(segmentId)) continue;
        const inForce = list.find(
          (version) => version.from <= at && (version.until === null || at < version.until),
        );
        const member =
          inForce !== undefined && isMemberAt(searchable, inForce.snapshot, at, lastDataEventAt);
        if (member !== (members.get(segmentId) ?? false)) {
          members.set(segmentId, member);
          // An exit when no rule is in force any more: that of the rule that was.
          const recordedAs = inForce ?? list.filter((version) => version.from <= at).pop()!;
          this.record(
            contact,
            recordedAs.snapshot,
            member ? 'entered' : 'exited',
            at,
            event.position,
            causeAt(recordedAs, at, cause),
          );
          this.widenSpan(workspace, segmentId);
          const index = indexed.indexById.get(segmentId);
          if (index !== undefined) indexed.historyDeltas[index]! += 1;
        }
        if (!inForce?.timed) continue;
        const deadline = nextCheckAfter(searchable, inForce.snapshot, at, lastDataEventAt);
        if (deadline === undefined || deadline > now) continue;
        if (!due.has(deadline)) insertSorted(seconds, deadline);
        dueAt(deadline).segments.add(segmentId);
      }
    }
    const lastDataEventAt = this.dataEvents.of(contact.workspaceId, contact.contactId);
    for (let index = 0; index < indexed.segments.length; index += 1) {
      const segmentId = indexed.segments[index]!.id;
      const member = members.get(segmentId) ?? false;
      if (member !== contact.members.has(segmentId)) {
        if (member) contact.members.add(segmentId);
        else contact.members.delete(segmentId);
        indexed.countDeltas[index]! += member ? 1 : -1;
      }
      this.scheduleNextCheck(contact, workspace, indexed, index, now, lastDataEventAt);
    }
  }

  /**
   * Whether nothing but the contact's own events changed its memberships after `from` up to `now`
   * (given its events are all dated by `from`): no rule came or went, and none of its deadlines as
   * it was (`searchable`, and its data events before the event) fell due. Its history then holds
   * no change after `from`, and a late event needs neither its stream nor its history.
   */
  private steadyAfter(
    contact: ContactEntry,
    indexed: IndexedSegments,
    /** `ruleChangesOf` the contact's workspace. */
    ruleChanges: readonly number[],
    searchable: SearchableContact | undefined,
    from: number,
    now: number,
  ): boolean {
    if (ruleChanges.some((at) => at > from && at <= now)) return false;
    if (indexed.segments.length === 0) return true;
    const lastDataEventAt = this.dataEvents.of(contact.workspaceId, contact.contactId);
    return indexed.timedSegments.every((segment) => {
      const next = nextCheckAfter(searchable, segment, from, lastDataEventAt);
      return next === undefined || next > now;
    });
  }

  /**
   * The contact's memberships just before `from` as its history has them (its last change before
   * then, in log order, per segment); its changes from `from` on go, stored and pending alike.
   */
  private async membersBefore(
    contact: ContactEntry,
    indexed: IndexedSegments,
    from: number,
  ): Promise<Map<string, boolean>> {
    const stored = await this.db
      .selectFrom('segment_membership_changes')
      .select(['position', 'seq', 'effective_at', 'entered', 'exited'])
      .where('workspace_id', '=', contact.workspaceId)
      .where('contact_id', '=', contact.contactId)
      .execute();
    const ofContact = (pending: PendingChanges) =>
      pending.workspace_id === contact.workspaceId && pending.contact_id === contact.contactId;
    const rows = [
      ...stored.map((row) => ({
        position: row.position,
        seq: Number(row.seq),
        effectiveAt: Number(row.effective_at),
        entered: parseChangeList(row.entered),
        exited: parseChangeList(row.exited),
      })),
      ...this.changes.filter(ofContact).map((pending) => ({
        position: pending.position,
        seq: pending.seq,
        effectiveAt: pending.effective_at,
        entered: pending.entered,
        exited: pending.exited,
      })),
    ].sort((a, b) =>
      a.position !== b.position ? (a.position < b.position ? -1 : 1) : a.seq - b.seq,
    );
    const members = new Map<string, boolean>();
    for (const row of rows) {
      if (row.effectiveAt < from) {
        for (const { segmentId } of row.entered) members.set(segmentId, true);
        for (const { segmentId } of row.exited) members.set(segmentId, false);
        continue;
      }
      for (const { segmentId } of [...row.entered, ...row.exited]) {
        const index = indexed.indexById.get(segmentId);
        if (index !== undefined) indexed.historyDeltas[index]! -= 1;
      }
    }
    await this.db
      .deleteFrom('segment_membership_changes')
      .where('workspace_id', '=', contact.workspaceId)
      .where('contact_id', '=', contact.contactId)
      .where('effective_at', '>=', from)
      .execute();
    const replaced = new Set(
      this.changes.filter((pending) => ofContact(pending) && pending.effective_at >= from),
    );
    if (replaced.size > 0) {
      this.changes.splice(
        0,
        this.changes.length,
        ...this.changes.filter((pending) => !replaced.has(pending)),
      );
      for (const [key, pending] of this.changesAtPosition) {
        if (replaced.has(pending)) this.changesAtPosition.delete(key);
      }
    }
    return members;
  }

  /** The contact's stream up to `event`: the events of it this projection has applied. */
  private async streamUpTo(contact: ContactEntry, event: RecordedEvent): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const stream = contactStreamId(contact.workspaceId, contact.contactId);
    for await (const recorded of this.streams!.readStream(stream, {
      maxCount: Number(event.revision) + 1,
    })) {
      if (recorded.revision > event.revision) break;
      events.push(recorded);
    }
    return events;
  }

  /** Every rule each segment of the workspace has had, in order; read once a batch. */
  private async ruleVersionsOf(
    workspaceId: string,
    indexed: IndexedSegments,
  ): Promise<ReadonlyMap<string, RuleVersion[]>> {
    const known = this.ruleVersions.get(workspaceId);
    if (known) return known;
    const rows = await this.db
      .selectFrom('segment_membership_rule_versions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('segment_id')
      .orderBy('rule_version')
      .execute();
    const versions = new Map<string, RuleVersion[]>();
    for (const row of rows) {
      const snapshot = storedSnapshot(row);
      const list = versions.get(row.segment_id) ?? [];
      list.push({
        snapshot,
        timed: isTimeBased(snapshot),
        from: Number(row.in_force_from),
        until: row.in_force_until === null ? null : Number(row.in_force_until),
        startedBy: {
          id: row.started_by_event_id,
          type: row.started_by_event_type,
          position: row.started_by_position,
        },
        endedBy:
          row.ended_by_event_id === null
            ? undefined
            : { id: row.ended_by_event_id, type: row.ended_by_event_type ?? '' },
      });
      versions.set(row.segment_id, list);
    }
    // A segment of a build that kept no rules (none here: the version that added them rebuilt).
    for (const segment of indexed.segments) {
      if (!versions.has(segment.id)) {
        versions.set(segment.id, [
          {
            snapshot: segment,
            timed: isTimeBased(segment),
            from: Number.MIN_SAFE_INTEGER,
            until: null,
            startedBy: undefined,
            endedBy: undefined,
          },
        ]);
      }
    }
    this.ruleVersions.set(workspaceId, versions);
    return versions;
  }

  /**
   * The instants the workspace's rules came or went at (those `ruleVersionsOf` has): all a late
   * event in time order asks of them, read without the rules.
   */
  private async ruleChangesOf(workspaceId: string): Promise<readonly number[]> {
    const known = this.ruleChanges.get(workspaceId);
    if (known) return known;
    const rows = await this.db
      .selectFrom('segment_membership_rule_versions')
      .select(['in_force_from', 'in_force_until'])
      .distinct()
      .where('workspace_id', '=', workspaceId)
      .execute();
    const instants = new Set<number>();
    for (const row of rows) {
      instants.add(Number(row.in_force_from));
      if (row.in_force_until !== null) instants.add(Number(row.in_force_until));
    }
    const changes = [...instants];
    this.ruleChanges.set(workspaceId, changes);
    return changes;
  }

  private async workspace(workspaceId: string): Promise<WorkspaceEntry> {
    const known = this.workspaces.get(workspaceId);
    if (known) return known;
    const clock = await this.db
      .selectFrom('segment_membership_clocks')
      .select('now')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    const initialNow = clock === undefined ? undefined : Number(clock.now);
    const entry: WorkspaceEntry = {
      workspaceId,
      indexed: undefined,
      spans: new Map(),
      now: initialNow ?? Number.MIN_SAFE_INTEGER,
      initialNow,
      storedNext: await this.storedNextAfter(workspaceId, undefined),
      queue: new DeadlineQueue(),
    };
    this.workspaces.set(workspaceId, entry);
    return entry;
  }

  /** The workspace's segments, read and indexed the first time the batch needs them. */
  private async indexedSegments(workspace: WorkspaceEntry): Promise<IndexedSegments> {
    if (workspace.indexed) return workspace.indexed;
    const definitions = await this.db
      .selectFrom('segment_membership_segments')
      // What a rule snapshot needs: every batch reads these, and a row has more (name, counts).
      .select(['segment_id', 'person_type', 'rule', 'attribute_types', 'rule_version', 'time_zone'])
      .where('workspace_id', '=', workspace.workspaceId)
      .orderBy('segment_id')
      .execute();
    const segments = definitions.map(storedSnapshot);
    const timed = segments.map(isTimeBased);
    workspace.indexed = {
      segments,
      byInput: new SegmentsByInput(segments.map(inputsOf)),
      byValue: new SegmentsByRequiredValue(segments),
      timed,
      timedSegments: segments.filter((_, index) => timed[index]),
      indexById: new Map(segments.map((segment, index) => [segment.id, index])),
      countDeltas: segments.map(() => 0),
      historyDeltas: segments.map(() => 0),
    };
    return workspace.indexed;
  }

  private async storedNextAfter(
    workspaceId: string,
    after: number | undefined,
  ): Promise<number | undefined> {
    let query = this.db
      .selectFrom('segment_membership_deadlines')
      .select((eb) => eb.fn.min('at').as('next'))
      .where('workspace_id', '=', workspaceId);
    if (after !== undefined) query = query.where('at', '>', after);
    const row = await query.executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  /**
   * Loads contacts with their fold, memberships and stored deadline. `clock` is the workspace's
   * clock their deadlines are derived at: every deadline up to it has fired, so a segment's next
   * flip for the contact is `nextCheckAfter(fold, segment, clock)`, the instant its last
   * evaluation stored (both are the rule's first candidate instant after the last evaluation).
   */
  private async loadContacts(
    workspaceId: string,
    ids: readonly string[],
    clock: number,
  ): Promise<void> {
    const missing = ids.filter((id) => !this.contacts.has(contactKey(workspaceId, id)));
    if (missing.length === 0) return;
    const workspace = await this.workspace(workspaceId);
    const { segments, timedSegments } = await this.indexedSegments(workspace);
    for (let index = 0; index < missing.length; index += 500) {
      const chunk = missing.slice(index, index + 500);
      const db = this.db as Kysely<unknown>;
      const rows = await selectByIds(
        db,
        this.tables('segment_membership_contacts'),
        'id',
        MEMBERSHIP_CONTACT_COLUMNS,
        membershipContactRowOf,
        workspaceId,
        chunk,
      );
      const lists = await selectByIds(
        db,
        this.tables('segment_membership_contact_segments'),
        'contact_id',
        ['contact_id', 'segment_ids'],
        (values) => ({ contact_id: values[0] as string, segment_ids: values[1] as string }),
        workspaceId,
        chunk,
      );
      const deadlines =
        segments.length === 0
          ? []
          : await selectByIds(
              db,
              this.tables('segment_membership_deadlines'),
              'contact_id',
              ['contact_id', 'at'],
              (values) => ({ contact_id: values[0] as string, at: values[1] as number }),
              workspaceId,
              chunk,
            );
      if (segments.some((segment) => segment.dataEventFilters.length > 0)) {
        await this.dataEvents.load(workspaceId, chunk);
      }
      const rowById = new Map(rows.map((row) => [row.id, row]));
      const listById = new Map(lists.map((row) => [row.contact_id, row.segment_ids]));
      const storedDeadlines = new Map(deadlines.map((row) => [row.contact_id, Number(row.at)]));
      for (const id of chunk) {
        const row = rowById.get(id);
        const state: ContactState = row ? rowToState(row) : { status: 'none' };
        const key = contactKey(workspaceId, id);
        const initialMembers = parseMemberList(listById.get(id) ?? ' ');
        const entry: ContactEntry = {
          key,
          workspaceId,
          contactId: id,
          state,
          stored: row,
          row,
          rowStale: false,
          searchable: row && segments.length > 0 ? searchableOf(state, row) : undefined,
          revision: row ? Number(row.revision) : -1,
          rowChanged: false,
          initialMembers: new Set(initialMembers),
          members: new Set(initialMembers),
          deadlines: new Map(),
          storedDeadline: storedDeadlines.get(id),
          latestEventAt: !row
            ? Number.NEGATIVE_INFINITY
            : row.latest_event_at === null
              ? undefined
              : Number(row.latest_event_at),
        };
        this.contacts.set(key, entry);
        const lastDataEventAt = this.dataEvents.of(workspaceId, id);
        for (const segment of timedSegments) {
          const at = nextCheckAfter(entry.searchable, segment, clock, lastDataEventAt);
          if (at === undefined) continue;
          entry.deadlines.set(segment.id, at);
          workspace.queue.push({ at, segmentId: segment.id, contactKey: key });
        }
      }
    }
  }

  private async flushContacts(): Promise<void> {
    const writes = new RowWrites<SegmentMembershipContactsTable>(
      MEMBERSHIP_CONTACT_COLUMNS,
      MEMBERSHIP_CONTACT_KEY,
      membershipContactValuesOf,
    );
    const deletions = new Map<string, string[]>();
    for (const contact of this.contacts.values()) {
      if (!contact.rowChanged) continue;
      // Gone with a deletion (`flushErasures`), even if merged in this batch.
      if (this.erased.get(contact.workspaceId)?.has(contact.contactId)) continue;
      const row = currentRow(contact);
      const latest = contact.latestEventAt;
      if (row) {
        writes.add(
          contact.stored,
          membershipContactRow(
            withJsonText(row),
            latest === undefined || !Number.isFinite(latest) ? null : latest,
          ),
        );
      } else if (contact.state.status === 'deleted') {
        const ids = deletions.get(contact.workspaceId) ?? [];
        ids.push(contact.contactId);
        deletions.set(contact.workspaceId, ids);
      }
    }
    await writes.flush(this.db as Kysely<unknown>, this.tables('segment_membership_contacts'));
    for (const [workspaceId, ids] of deletions) {
      for (let index = 0; index < ids.length; index += 500) {
        await this.db
          .deleteFrom('segment_membership_contacts')
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', ids.slice(index, index + 500))
          .execute();
      }
    }
  }

  /**
   * The entries and exits of the contacts a deletion erases, recorded before or in this batch
   * (its own exits included), go, and so do the rows of the leads merged into a deleted user;
   * the segments' history counts follow. Their member counts do not: the exits happened.
   */
  private async flushErasures(): Promise<void> {
    if (this.erased.size === 0) return;
    const uncount = (
      workspaceId: string,
      changes: ReadonlyArray<{ readonly segmentId: string }>,
    ): void => {
      // Loaded: the workspace's contact events recorded the erasures.
      const indexed = this.workspaces.get(workspaceId)?.indexed;
      for (const { segmentId } of changes) {
        const index = indexed?.indexById.get(segmentId);
        if (index !== undefined) indexed!.historyDeltas[index]! -= 1;
      }
    };
    const kept = this.changes.filter((pending) => {
      if (!this.erased.get(pending.workspace_id)?.has(pending.contact_id)) return true;
      uncount(pending.workspace_id, [...pending.entered, ...pending.exited]);
      return false;
    });
    this.changes.splice(0, this.changes.length, ...kept);
    for (const [workspaceId, ids] of this.erased) {
      const all = [...ids];
      for (let index = 0; index < all.length; index += 500) {
        const chunk = all.slice(index, index + 500);
        const stored = await this.db
          .selectFrom('segment_membership_changes')
          .select(['entered', 'exited'])
          .where('workspace_id', '=', workspaceId)
          .where('contact_id', 'in', chunk)
          .execute();
        for (const row of stored)
          uncount(workspaceId, [...parseChangeList(row.entered), ...parseChangeList(row.exited)]);
        await this.db
          .deleteFrom('segment_membership_changes')
          .where('workspace_id', '=', workspaceId)
          .where('contact_id', 'in', chunk)
          .execute();
        await this.db
          .deleteFrom('segment_membership_contacts')
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', chunk)
          .execute();
      }
    }
  }

  /**
   * The member list of every contact whose memberships the batch changed; a contact in no segment
   * has none (whatever batches it left its last segment in, as a rebuild's would).
   */
  private async flushMemberLists(): Promise<void> {
    const rows: SegmentContactSegmentsTable[] = [];
    const emptied = new Map<string, string[]>();
    for (const contact of this.contacts.values()) {
      if (sameSet(contact.members, contact.initialMembers)) continue;
      if (contact.members.size === 0) {
        const ids = emptied.get(contact.workspaceId) ?? [];
        ids.push(contact.contactId);
        emptied.set(contact.workspaceId, ids);
        continue;
      }
      rows.push({
        workspace_id: contact.workspaceId,
        contact_id: contact.contactId,
        segment_ids: memberList(contact.members),
      });
    }
    await this.deleteContactRows('segment_membership_contact_segments', emptied);
    await insertRows(
      this.db as Kysely<unknown>,
      this.tables('segment_membership_contact_segments'),
      ['workspace_id', 'contact_id', 'segment_ids'],
      rows,
      upsertClause(['workspace_id', 'contact_id'], ['segment_ids']),
    );
  }

  /**
   * One row per contact: its earliest deadline over all segments, written only when it moved
   * (most events move none). Which segment is due is derived again from the fold at load.
   */
  private async flushDeadlines(): Promise<void> {
    const removed = new Map<string, string[]>();
    const rows: Array<{ workspace_id: string; contact_id: string; at: number }> = [];
    for (const contact of this.contacts.values()) {
      let earliest: number | undefined;
      for (const at of contact.deadlines.values()) {
        if (earliest === undefined || at < earliest) earliest = at;
      }
      if (earliest === contact.storedDeadline) continue;
      if (earliest !== undefined) {
        rows.push({
          workspace_id: contact.workspaceId,
          contact_id: contact.contactId,
          at: earliest,
        });
        continue;
      }
      const ids = removed.get(contact.workspaceId) ?? [];
      ids.push(contact.contactId);
      removed.set(contact.workspaceId, ids);
    }
    await this.deleteContactRows('segment_membership_deadlines', removed);
    await insertRows(
      this.db as Kysely<unknown>,
      this.tables('segment_membership_deadlines'),
      ['workspace_id', 'contact_id', 'at'],
      rows,
      upsertClause(['workspace_id', 'contact_id'], ['at']),
    );
  }

  /** The rows of the contacts `idsByWorkspace` names, 500 contacts a statement. */
  private async deleteContactRows(
    table: 'segment_membership_contact_segments' | 'segment_membership_deadlines',
    idsByWorkspace: ReadonlyMap<string, readonly string[]>,
  ): Promise<void> {
    for (const [workspaceId, ids] of idsByWorkspace) {
      for (let index = 0; index < ids.length; index += 500) {
        await this.db
          .deleteFrom(table)
          .where('workspace_id', '=', workspaceId)
          .where('contact_id', 'in', ids.slice(index, index + 500))
          .execute();
      }
    }
  }

  /** Each segment's counts move by the entries and exits the batch recorded. */
  private async flushMemberCounts(): Promise<void> {
    const postgres = this.db.getExecutor().adapter instanceof PostgresAdapter;
    // Physical table name: a compiled query bypasses the runner's renaming plugin.
    const text =
      `UPDATE ${quoted(this.tables('segment_membership_segments'))} SET ` +
      (postgres
        ? 'member_count = member_count + $1, history_count = history_count + $2 WHERE workspace_id = $3 AND segment_id = $4'
        : 'member_count = member_count + ?, history_count = history_count + ? WHERE workspace_id = ? AND segment_id = ?');
    for (const workspace of this.workspaces.values()) {
      // Not loaded: the batch recorded no change of the workspace's segments.
      const indexed = workspace.indexed;
      if (!indexed) continue;
      for (let index = 0; index < indexed.segments.length; index += 1) {
        const changes = indexed.historyDeltas[index]!;
        // An erasure (`flushErasures`) can cancel a batch's history out while members did change.
        if (changes === 0 && indexed.countDeltas[index] === 0) continue;
        const parameters = [
          indexed.countDeltas[index]!,
          changes,
          workspace.workspaceId,
          indexed.segments[index]!.id,
        ];
        await this.db.executeQuery(CompiledQuery.raw(text, parameters));
      }
    }
  }

  /** Where on the log each segment the batch changed has changes. */
  private async flushSpans(): Promise<void> {
    const spans: SegmentSpansTable[] = [];
    for (const workspace of this.workspaces.values()) {
      for (const inStretch of workspace.spans.values()) spans.push(...inStretch.values());
    }
    await recordSpans(this.db, this.tables('segment_membership_spans'), spans);
  }
}

/** What a change is attributed to: an event (by id and type), or a deadline (none). */
type ChangeCause = Pick<RecordedEvent, 'id' | 'type'>;

/** A rule a segment had, and the stretch of the membership clock it was in force over. */
interface RuleVersion {
  readonly snapshot: SegmentRuleSnapshot;
  readonly timed: boolean;
  readonly from: number;
  readonly until: number | null;
  /** The segment event that brought it in, with its `positionText`. */
  readonly startedBy: (ChangeCause & { readonly position: string }) | undefined;
  readonly endedBy: ChangeCause | undefined;
}

/**
 * What a late replay's change at `at` is attributed to, `version` being the rule it is recorded
 * under and `contactEvent` the contact's last event dated `at` (if any). A second is one
 * evaluation, caused by the last, in log order, of what happened then, as a contact's several
 * events of one second are: at the second the segment was deleted, the deletion (no rule is
 * evaluated then, whatever the contact did); at the second the rule came into force, the later of
 * its segment event and the contact's (a contact created after the segment, in that second,
 * enters by its creation, as it does in time; one the segment was created over enters by the
 * segment's creation); otherwise the contact's event, or none (a deadline).
 */
function causeAt(
  version: RuleVersion,
  at: number,
  contactEvent: RecordedEvent | undefined,
): ChangeCause | undefined {
  if (version.until === at && version.endedBy) return version.endedBy;
  const { startedBy } = version;
  if (version.from !== at || !startedBy) return contactEvent;
  return contactEvent && positionText(contactEvent.position) > startedBy.position
    ? contactEvent
    : startedBy;
}

/** See `mayHaveChanged`. */
interface SegmentsToEvaluate {
  readonly affected: Uint8Array | undefined;
  readonly candidates: Uint8Array;
}

/** Adds `value` to the ascending `values` unless it is there. */
function insertSorted(values: number[], value: number): void {
  let index = 0;
  while (index < values.length && values[index]! < value) index += 1;
  if (values[index] !== value) values.splice(index, 0, value);
}

/** Changes as recorded, before their lists are written out. */
interface PendingChanges extends Omit<SegmentChangesTable, 'entered' | 'exited'> {
  readonly entered: Array<{ segmentId: string; ruleVersion: number }>;
  readonly exited: Array<{ segmentId: string; ruleVersion: number }>;
}

/** Rows in the changes table's key order: each inserted next to the last. */
const byContactThenOrder = (a: PendingChanges, b: PendingChanges): number =>
  a.workspace_id !== b.workspace_id
    ? a.workspace_id < b.workspace_id
      ? -1
      : 1
    : a.contact_id !== b.contact_id
      ? a.contact_id < b.contact_id
        ? -1
        : 1
      : a.position !== b.position
        ? a.position < b.position
          ? -1
          : 1
        : a.seq - b.seq;

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((item) => b.has(item));

const SNAPSHOTS = new Map<string, SegmentRuleSnapshot>();
const MAX_SNAPSHOTS = 10_000;

/**
 * A segment's rule as stored (its definition, or one of its rule versions) is a pure function of
 * these columns: each is parsed and analysed once, not once per batch.
 */
function storedSnapshot(row: {
  readonly segment_id: string;
  readonly person_type: string;
  readonly rule: string;
  readonly attribute_types: string;
  readonly rule_version: number;
  readonly time_zone: string;
}): SegmentRuleSnapshot {
  const key = `${row.segment_id}\u0000${row.rule_version}\u0000${row.person_type}\u0000${row.time_zone}\u0000${row.attribute_types}\u0000${row.rule}`;
  const known = SNAPSHOTS.get(key);
  if (known) return known;
  if (SNAPSHOTS.size >= MAX_SNAPSHOTS) SNAPSHOTS.clear();
  const snapshot = snapshotOf(
    row.segment_id,
    row.person_type as SegmentPersonType,
    parseStoredRule({
      rule: JSON.parse(row.rule) as JsonValue,
      attributeTypes: JSON.parse(row.attribute_types) as StoredSegmentRule['attributeTypes'],
    }),
    Number(row.rule_version),
    row.time_zone,
  );
  SNAPSHOTS.set(key, snapshot);
  return snapshot;
}

/**
 * The projection's row for a contact after an event, as the contacts read model would have it:
 * a merged source keeps its last live columns (status `merged`), a deleted contact has none.
 */
function rowOf(
  state: ContactState,
  previous: ContactState,
  row: ContactsTable | undefined,
  revision: number,
): ContactsTable | undefined {
  switch (state.status) {
    case 'none':
      return row;
    case 'deleted':
      return undefined;
    case 'merged': {
      const base = isLive(previous) ? liveRow(previous, revision) : row;
      return base ? { ...base, status: 'merged', merged_into: state.into, revision } : undefined;
    }
    case 'visitor':
    case 'lead':
    case 'user':
      return liveRow(state, revision);
  }
}

/** The contact's row after the events folded so far. */
function currentRow(contact: ContactEntry): ContactsTable | undefined {
  if (contact.rowStale && isLive(contact.state)) {
    contact.row = liveRow(contact.state, contact.revision);
    contact.rowStale = false;
  }
  return contact.row;
}

/** The row as the evaluator reads it, with the parsed custom attributes of the fold. */
function searchableOf(
  state: ContactState,
  row: ContactsTable | undefined,
): SearchableContact | undefined {
  if (!row) return undefined;
  return isLive(state) ? searchableOfRow(row, state.custom_attributes) : row;
}

const toJsonText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

/**
 * JSON columns read back parsed from PostgreSQL; both dialects accept JSON text on write. A row
 * the fold built (`liveRow`) has text already: most rows, written as they are.
 */
const withJsonText = (row: ContactsTable): ContactsTable =>
  typeof row.custom_attributes === 'string' && typeof row.merge_history === 'string'
    ? row
    : {
        ...row,
        custom_attributes: toJsonText(row.custom_attributes),
        merge_history: toJsonText(row.merge_history),
      };
