import type { ContactEvent } from '../../contacts/domain/contact.events';
import { ids, leadCreated, T0 } from '../../contacts/domain/contact.test-fixtures';
import { snapshotOf } from '../domain/segment-membership';
import { parseStoredRule } from '../domain/segment.rule';
import { membershipChangesOver } from '../domain/what-if-history';
import { FoldedContactPast, type PastEvent } from './folded-contact-past';

const DAY = 86_400;

const renamed = (name: string, at: number): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ids, updatedAt: at, changes: { name } },
});
const tracked = (name: string, createdAt: number): ContactEvent => ({
  type: 'DataEventTracked',
  data: { ...ids, name, createdAt, metadata: {} },
});

/** A stream's events, each dated `at` (unix seconds) and numbered in stream order. */
const stream = (events: ReadonlyArray<readonly [ContactEvent, number]>): PastEvent[] =>
  events.map(([event, at], revision) => ({
    id: `event-${revision}`,
    event,
    occurredAt: at * 1000 + 500,
    revision,
  }));

describe('FoldedContactPast: a contact at the instants of a what-if', () => {
  it('is the contact its events dated up to the end of each second made it', () => {
    const past = new FoldedContactPast(
      stream([
        [leadCreated({ name: 'First' }, T0), T0],
        [renamed('Second', T0 + 100), T0 + 100],
        [renamed('Third', T0 + 200), T0 + 200],
      ]),
      new Map(),
    );
    expect(past.rowAt(T0 - 1)).toBeUndefined();
    expect(past.rowAt(T0)).toMatchObject({ name: 'First', role: 'lead' });
    expect(past.rowAt(T0 + 150)).toMatchObject({ name: 'Second' });
    expect(past.rowAt(T0 + 200)).toMatchObject({ name: 'Third' });
    expect(past.instants.map((instant) => instant.at)).toEqual([T0, T0 + 100, T0 + 200]);
  });

  it('takes an event reported late at its own time, as GET /contacts/{id}?as_of does', () => {
    const past = new FoldedContactPast(
      stream([
        [leadCreated({}, T0), T0],
        [renamed('Newer', T0 + 200), T0 + 200],
        // Written later, dated before: newest write by event time wins from T0 + 200 on.
        [renamed('Older', T0 + 100), T0 + 100],
      ]),
      new Map(),
    );
    expect(past.rowAt(T0 + 50)).toMatchObject({ name: null });
    expect(past.rowAt(T0 + 150)).toMatchObject({ name: 'Older' });
    expect(past.rowAt(T0 + 250)).toMatchObject({ name: 'Newer' });
    expect(past.instants.map((instant) => instant.eventId)).toEqual([
      'event-0',
      'event-2',
      'event-1',
    ]);
  });

  it("counts a merged lead's data events by their dates, once merged in", () => {
    const merge: ContactEvent = {
      type: 'LeadMergeAbsorbed',
      data: { ...ids, from: 'lead-1', sourceRole: 'lead', mergedAt: T0 + 300, copied: {} },
    };
    const past = new FoldedContactPast(
      stream([
        [leadCreated({}, T0), T0],
        [tracked('signed', T0 + 50), T0 + 50],
        [merge, T0 + 300],
      ]),
      new Map([['lead-1', stream([[tracked('paid', T0 + 100), T0 + 100]])]]),
    );
    expect(Object.fromEntries(past.lastDataEventAt(T0 + 200))).toEqual({ signed: T0 + 50 });
    expect(Object.fromEntries(past.lastDataEventAt(T0 + 300))).toEqual({
      signed: T0 + 50,
      paid: T0 + 100,
    });
    expect(past.instants.map((instant) => instant.at)).toContain(T0 + 100);
  });

  it('counts a data event dated ahead of its recording from then, aging it from its created_at', () => {
    // Recorded at T0 + 100 with created_at T0 + 220: the log dates it at its recording.
    const past = new FoldedContactPast(
      stream([
        [leadCreated({}, T0), T0],
        [tracked('paid', T0 + 220), T0 + 100],
      ]),
      new Map(),
    );
    expect(Object.fromEntries(past.lastDataEventAt(T0 + 99))).toEqual({});
    expect(Object.fromEntries(past.lastDataEventAt(T0 + 100))).toEqual({ paid: T0 + 220 });
    const rule = { field: 'event', operator: 'has_done', value: 'paid', within_days: 1 };
    const segment = snapshotOf(
      'preview',
      'all',
      parseStoredRule({ rule, attributeTypes: {} }),
      0,
      'UTC',
    );
    // As the saved membership: in from the recording, out when its created_at is a day old.
    expect(
      membershipChangesOver(past, segment, T0, T0 + 2 * DAY).map(({ change, effectiveAt }) => [
        change,
        effectiveAt,
      ]),
    ).toEqual([
      ['entered', T0 + 100],
      ['exited', T0 + 220 + DAY],
    ]);
  });
});
