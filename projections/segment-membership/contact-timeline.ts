import type { Set as PersistentSet } from 'immutable';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import type { ContactEvent } from '../../src/contacts/domain/contact.events';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import {
  initialContactState,
  isLive,
  type ContactState,
} from '../../src/contacts/domain/contact.state';
import type { SearchableContact } from '../../src/contacts/search/contact-search.evaluate';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import type { LastDataEventAt } from '../../src/segments/domain/segment-membership';
import { liveSearchable } from '../contacts/contacts.projection';

/** Event time in whole unix seconds: the membership clock's unit. */
export const eventSeconds = (event: RecordedEvent): number =>
  Math.floor(event.metadata.occurredAt / 1000);

/** What changes at one second of a contact's timeline. */
export interface TimelineChange {
  /** One of its events other than data events is dated then: anything of it may change. */
  readonly fold: boolean;
  /** The names of its data events dated then (only the rules that read them may change). */
  readonly dataEvents: ReadonlySet<string>;
}

/** The contact at one second, as membership evaluates it. */
export interface ContactThen {
  readonly searchable: SearchableContact | undefined;
  readonly lastDataEventAt: LastDataEventAt | undefined;
  /** The last of its events (in stream order) dated that second, if any. */
  readonly cause: RecordedEvent | undefined;
}

interface Folded {
  readonly second: number;
  readonly recorded: RecordedEvent;
  readonly event: ContactEvent;
}

const isDataEvent = (event: ContactEvent): boolean =>
  event.type === 'DataEventTracked' || event.type === 'DataEventSummaryReported';

/**
 * A contact as its as-of fold has it (`ContactAsOf`: the events of its stream dated up to a
 * second, folded in stream order) at each second from `from` on, asked in ascending order. Only
 * the events dated after `from` are folded again per second, and only from the first one the
 * second brings in (in stream order): a late event a few seconds back costs a few events per
 * second asked. Data events only add to the fold's data event keys, so they are kept apart, as the
 * latest `created_at` per name, which only grows as seconds pass.
 */
export class ContactTimeline {
  private readonly later: readonly Folded[];
  private readonly dataLater: readonly Folded[];
  /** `states[i]`: the fold of `later[0..i)` as of `foldedAt`. */
  private readonly states: ContactState[];
  private foldedAt: number;
  private readonly laterData = new Map<string, number>();
  private dataIndex = 0;
  private readonly causes = new Map<number, RecordedEvent>();
  private keysParsed: { keys: PersistentSet<string>; latest: LastDataEventAt } | undefined;
  /** Seconds after `from` and what changes at each. */
  readonly changes: ReadonlyMap<number, TimelineChange>;

  /** `events`: the contact's stream, from its start, in stream order. */
  constructor(events: readonly RecordedEvent[], from: number) {
    const folded = events.map((recorded): Folded => ({
      second: eventSeconds(recorded),
      recorded,
      event: toContactEvent(recorded),
    }));
    for (const item of folded) this.causes.set(item.second, item.recorded);
    // Up to the first event dated after `from`, every second's fold takes them all.
    let split = folded.findIndex((item) => item.second > from);
    if (split < 0) split = folded.length;
    let base: ContactState = initialContactState();
    for (const item of folded.slice(0, split)) base = evolve(base, item.event);
    const rest = folded.slice(split);
    this.later = rest.filter((item) => !isDataEvent(item.event));
    this.dataLater = rest
      .filter((item) => isDataEvent(item.event))
      .sort((a, b) => a.second - b.second);
    this.states = [base];
    this.foldedAt = Number.NEGATIVE_INFINITY;
    const changes = new Map<number, { fold: boolean; dataEvents: Set<string> }>();
    const at = (second: number) => {
      const known = changes.get(second) ?? { fold: false, dataEvents: new Set<string>() };
      changes.set(second, known);
      return known;
    };
    for (const item of this.later) if (item.second > from) at(item.second).fold = true;
    for (const item of this.dataLater) {
      if (item.second > from) at(item.second).dataEvents.add(dataEventOf(item.event).name);
    }
    this.changes = changes;
  }

  /** The contact at `at`: asked in ascending order. */
  at(at: number): ContactThen {
    this.foldUpTo(at);
    for (; this.dataIndex < this.dataLater.length; this.dataIndex += 1) {
      const item = this.dataLater[this.dataIndex]!;
      if (item.second > at) break;
      const { name, at: createdAt } = dataEventOf(item.event);
      this.laterData.set(name, Math.max(this.laterData.get(name) ?? createdAt, createdAt));
    }
    const state = this.states[this.states.length - 1]!;
    const cause = this.causes.get(at);
    if (!isLive(state)) return { searchable: undefined, lastDataEventAt: undefined, cause };
    return {
      searchable: liveSearchable(state, 0),
      lastDataEventAt: this.latestWith(state.dataEventKeys),
      cause,
    };
  }

  /** Folds again, from the first event `at` brings in, the events dated up to `at`. */
  private foldUpTo(at: number): void {
    const previous = this.foldedAt;
    this.foldedAt = at;
    const complete = this.states.length === this.later.length + 1;
    let first = this.later.findIndex((item) => item.second > previous && item.second <= at);
    if (first < 0) {
      if (complete) return;
      first = 0;
    }
    this.states.length = Math.min(this.states.length, first + 1);
    for (let index = this.states.length - 1; index < this.later.length; index += 1) {
      const item = this.later[index]!;
      const state = this.states[index]!;
      this.states.push(item.second <= at ? evolve(state, item.event) : state);
    }
  }

  /** The fold's keys (parsed once per key set) with the data events dated since. */
  private latestWith(keys: PersistentSet<string>): LastDataEventAt {
    if (this.keysParsed?.keys !== keys) {
      this.keysParsed = { keys, latest: latestOfKeys(keys) };
    }
    if (this.laterData.size === 0) return this.keysParsed.latest;
    const latest = new Map(this.keysParsed.latest);
    for (const [name, at] of this.laterData) latest.set(name, Math.max(latest.get(name) ?? at, at));
    return latest;
  }
}

function dataEventOf(event: ContactEvent): { name: string; at: number } {
  if (event.type === 'DataEventTracked') return { name: event.data.name, at: event.data.createdAt };
  if (event.type === 'DataEventSummaryReported')
    return { name: event.data.name, at: event.data.last };
  throw new Error(`${event.type} is no data event`);
}

/**
 * The latest `created_at` of each data event name among a fold's keys (`dataEventKey`,
 * `eventSummaryKey`: its own and those of the leads it absorbed), as `ContactDataEvents` keeps
 * them.
 */
function latestOfKeys(keys: Iterable<string>): Map<string, number> {
  const latest = new Map<string, number>();
  for (const key of keys) {
    const parts = JSON.parse(key) as unknown[];
    const [name, at] =
      parts.length === 5 && parts[0] === 'summary' ? [parts[1], parts[4]] : [parts[0], parts[1]];
    if (typeof name !== 'string' || typeof at !== 'number') continue;
    latest.set(name, Math.max(latest.get(name) ?? at, at));
  }
  return latest;
}
