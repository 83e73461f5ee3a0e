import type { SearchableContact } from '../../contacts/search/contact-search.evaluate';
import type { JsonValue } from '../../contacts/domain/contact.attributes';
import type { ContactEvent } from '../../contacts/domain/contact.events';
import { isMemberAt, nextCheckAfter, noteDataEventBy, snapshotOf } from './segment-membership';
import { parseStoredRule } from './segment.rule';

const DAY = 86_400;
const NOW = 1_700_000_000;

const segmentWith = (rule: JsonValue) =>
  snapshotOf(
    'segment-1',
    'user',
    parseStoredRule({ rule, attributeTypes: { plan: 'string' } }),
    1,
    'UTC',
  );

/** A live user signed up `daysAgo` days before NOW, on `plan`. */
const user = (daysAgo: number, plan: string): SearchableContact =>
  ({
    id: 'contact-1',
    workspace_id: 'w',
    status: 'live',
    role: 'user',
    signed_up_at: NOW - daysAgo * DAY,
    custom_attributes: { plan },
  }) as unknown as SearchableContact;

const signedUpRecently = { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 };
const onPro = { field: 'custom_attributes.plan', operator: '=', value: 'pro' };

describe('nextCheckAfter: when time alone may flip a membership', () => {
  it('is the instant a relative date filter flips', () => {
    const segment = segmentWith(signedUpRecently);
    const contact = user(2, 'free');
    expect(isMemberAt(contact, segment, NOW)).toBe(true);
    expect(nextCheckAfter(contact, segment, NOW)).toBe(NOW + 5 * DAY);
  });

  it('is the same under an AND whose other conjuncts hold', () => {
    const segment = segmentWith({ operator: 'AND', value: [signedUpRecently, onPro] });
    expect(nextCheckAfter(user(2, 'pro'), segment, NOW)).toBe(NOW + 5 * DAY);
  });

  it('is none while a conjunct that time does not change is false: nothing can flip then', () => {
    const segment = segmentWith({ operator: 'AND', value: [signedUpRecently, onPro] });
    const contact = user(2, 'free');
    expect(isMemberAt(contact, segment, NOW)).toBe(false);
    expect(isMemberAt(contact, segment, NOW + 6 * DAY)).toBe(false);
    expect(nextCheckAfter(contact, segment, NOW)).toBeUndefined();
  });

  it('is none while such a conjunct of an AND nested in the rule is false', () => {
    // The required value `SegmentsByRequiredValue` rules a contact out by, found under the AND.
    const segment = segmentWith({
      operator: 'AND',
      value: [
        { operator: 'AND', value: [onPro, signedUpRecently] },
        { ...signedUpRecently, value: 10 },
      ],
    });
    expect(nextCheckAfter(user(2, 'free'), segment, NOW)).toBeUndefined();
    expect(nextCheckAfter(user(2, 'pro'), segment, NOW)).toBe(NOW + 5 * DAY);
  });

  it('still comes under an OR, where another part may be what decides', () => {
    const segment = segmentWith({ operator: 'OR', value: [signedUpRecently, onPro] });
    expect(nextCheckAfter(user(2, 'free'), segment, NOW)).toBe(NOW + 5 * DAY);
  });
});

describe('noteDataEventBy: what has_done reads of a contact at a past instant', () => {
  const tracked = (name: string, createdAt: number): ContactEvent => ({
    type: 'DataEventTracked',
    data: { workspaceId: 'w', contactId: 'contact-1', name, createdAt, metadata: {} },
  });
  const summary = (name: string, first: number, last: number): ContactEvent => ({
    type: 'DataEventSummaryReported',
    data: { workspaceId: 'w', contactId: 'contact-1', name, count: 3, first, last },
  });
  /** Each event with the second its log event is dated: its own date unless given. */
  const latestBy = (
    at: number,
    events: ReadonlyArray<ContactEvent | readonly [ContactEvent, number]>,
  ) => {
    const latest = new Map<string, number>();
    for (const item of events) {
      const [event, recordedAt] = 'type' in item ? [item, dateOf(item)] : item;
      noteDataEventBy(latest, event, recordedAt, at);
    }
    return Object.fromEntries(latest);
  };
  const dateOf = (event: ContactEvent): number =>
    event.type === 'DataEventTracked'
      ? event.data.createdAt
      : event.type === 'DataEventSummaryReported'
        ? event.data.last
        : NOW;

  it('keeps the latest event dated by then, whatever order they came in', () => {
    const events = [tracked('paid', NOW - 10), tracked('paid', NOW - 50), tracked('paid', NOW + 1)];
    expect(latestBy(NOW, events)).toEqual({ paid: NOW - 10 });
    expect(latestBy(NOW - 20, events)).toEqual({ paid: NOW - 50 });
    expect(latestBy(NOW - 60, events)).toEqual({});
  });

  it('counts a summary at its last occurrence, or at its first when only that was by then', () => {
    const events = [summary('visited', NOW - 100, NOW - 10)];
    expect(latestBy(NOW, events)).toEqual({ visited: NOW - 10 });
    expect(latestBy(NOW - 50, events)).toEqual({ visited: NOW - 100 });
    expect(latestBy(NOW - 101, events)).toEqual({});
  });

  it('counts an event dated ahead of its recording from its recording, with its date as sent', () => {
    const events = [[tracked('paid', NOW + 120), NOW] as const];
    expect(latestBy(NOW - 1, events)).toEqual({});
    // "Within N days" ages it from its created_at, as the saved membership's last_at does.
    expect(latestBy(NOW, events)).toEqual({ paid: NOW + 120 });
    const summaries = [[summary('visited', NOW - 100, NOW + 120), NOW] as const];
    expect(latestBy(NOW - 1, summaries)).toEqual({ visited: NOW - 100 });
    expect(latestBy(NOW, summaries)).toEqual({ visited: NOW + 120 });
    const allAhead = [[summary('visited', NOW + 100, NOW + 120), NOW] as const];
    expect(latestBy(NOW - 1, allAhead)).toEqual({});
    expect(latestBy(NOW, allAhead)).toEqual({ visited: NOW + 120 });
  });

  it('reads nothing from other events', () => {
    const archived: ContactEvent = {
      type: 'ContactArchived',
      data: { workspaceId: 'w', contactId: 'contact-1', archivedAt: NOW - 10 },
    };
    expect(latestBy(NOW, [archived])).toEqual({});
  });
});
