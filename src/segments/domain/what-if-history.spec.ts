import type { SearchableContact } from '../../contacts/search/contact-search.evaluate';
import type { JsonValue } from '../../contacts/domain/contact.attributes';
import { snapshotOf } from './segment-membership';
import { parseStoredRule } from './segment.rule';
import { membershipChangesOver, type ContactPast, type PastInstant } from './what-if-history';

const DAY = 86_400;
const T0 = 1_700_000_000;

const segmentWith = (rule: JsonValue) =>
  snapshotOf('preview', 'all', parseStoredRule({ rule, attributeTypes: {} }), 0, 'UTC');

const lead = (fields: Record<string, unknown>): SearchableContact =>
  ({
    id: 'contact-1',
    workspace_id: 'w',
    status: 'live',
    role: 'lead',
    custom_attributes: {},
    ...fields,
  }) as unknown as SearchableContact;

/**
 * A past given as the contact's row from each instant on (none before the first), and the
 * latest data events from each instant on.
 */
function pastOf(
  rows: ReadonlyArray<readonly [at: number, row: SearchableContact | undefined, eventId: string]>,
  dataEvents: ReadonlyArray<readonly [at: number, name: string]> = [],
): ContactPast {
  const instants: PastInstant[] = [
    ...rows.map(([at, , eventId]) => ({ at, eventId, eventType: 'ContactUpdated' })),
    ...dataEvents.map(([at]) => ({ at, eventId: `tracked-${at}`, eventType: 'DataEventTracked' })),
  ].sort((a, b) => a.at - b.at);
  return {
    instants,
    rowAt: (at) => [...rows].reverse().find(([from]) => from <= at)?.[1],
    lastDataEventAt: (at) =>
      new Map(dataEvents.filter(([when]) => when <= at).map(([when, name]) => [name, when])),
  };
}

describe('membershipChangesOver: what an unsaved rule would have recorded', () => {
  const named = segmentWith({ field: 'name', operator: '=', value: 'Pro' });

  it('enters and exits at the instants its events changed the values, caused by them', () => {
    const past = pastOf([
      [T0, lead({ name: 'Free' }), 'created'],
      [T0 + 100, lead({ name: 'Pro' }), 'to-pro'],
      [T0 + 200, lead({ name: 'Pro' }), 'again-pro'],
      [T0 + 300, lead({ name: 'Free' }), 'to-free'],
    ]);
    expect(membershipChangesOver(past, named, T0 - 10, T0 + 1_000)).toEqual([
      {
        change: 'entered',
        effectiveAt: T0 + 100,
        cause: { type: 'event', eventId: 'to-pro', eventType: 'ContactUpdated' },
      },
      {
        change: 'exited',
        effectiveAt: T0 + 300,
        cause: { type: 'event', eventId: 'to-free', eventType: 'ContactUpdated' },
      },
    ]);
  });

  it('reports only what changed within (from, to], not the membership at from', () => {
    const past = pastOf([
      [T0, lead({ name: 'Pro' }), 'created'],
      [T0 + 300, lead({ name: 'Free' }), 'to-free'],
    ]);
    expect(membershipChangesOver(past, named, T0 + 50, T0 + 299)).toEqual([]);
    expect(membershipChangesOver(past, named, T0 + 50, T0 + 300)).toEqual([
      expect.objectContaining({ change: 'exited', effectiveAt: T0 + 300 }),
    ]);
    expect(membershipChangesOver(past, named, T0 + 300, T0 + 400)).toEqual([]);
  });

  it('takes the last event of a second as its cause, and counts the second once', () => {
    const past = pastOf([
      [T0, lead({ name: 'Free' }), 'created'],
      [T0 + 100, lead({ name: 'Pro' }), 'first-of-second'],
      [T0 + 100, lead({ name: 'Pro' }), 'last-of-second'],
    ]);
    expect(membershipChangesOver(past, named, T0, T0 + 200)).toEqual([
      {
        change: 'entered',
        effectiveAt: T0 + 100,
        cause: { type: 'event', eventId: 'last-of-second', eventType: 'ContactUpdated' },
      },
    ]);
  });

  it('exits at the deadline of a relative rule, with nothing happening then', () => {
    const recent = segmentWith({
      field: 'last_seen_at',
      operator: 'less_than_days_ago',
      value: 1,
    });
    const past = pastOf([[T0, lead({ last_seen_at: T0 }), 'seen']]);
    expect(membershipChangesOver(past, recent, T0 - 1, T0 + 3 * DAY)).toEqual([
      {
        change: 'entered',
        effectiveAt: T0,
        cause: { type: 'event', eventId: 'seen', eventType: 'ContactUpdated' },
      },
      { change: 'exited', effectiveAt: T0 + DAY, cause: { type: 'deadline' } },
    ]);
  });

  it('enters when a data event it did is dated, and leaves when it ages out', () => {
    const didIt = segmentWith({
      field: 'event',
      operator: 'has_done',
      value: 'paid',
      within_days: 2,
    });
    const past = pastOf([[T0, lead({}), 'created']], [[T0 + 500, 'paid']]);
    expect(membershipChangesOver(past, didIt, T0, T0 + 5 * DAY)).toEqual([
      {
        change: 'entered',
        effectiveAt: T0 + 500,
        cause: { type: 'event', eventId: `tracked-${T0 + 500}`, eventType: 'DataEventTracked' },
      },
      { change: 'exited', effectiveAt: T0 + 500 + 2 * DAY, cause: { type: 'deadline' } },
    ]);
  });

  it('leaves no segment while the contact is no lead or user', () => {
    const past = pastOf([
      [T0, lead({ name: 'Pro' }), 'created'],
      [T0 + 100, undefined, 'merged'],
    ]);
    expect(membershipChangesOver(past, named, T0 - 1, T0 + 200)).toEqual([
      expect.objectContaining({ change: 'entered', effectiveAt: T0 }),
      expect.objectContaining({ change: 'exited', effectiveAt: T0 + 100 }),
    ]);
  });
});
