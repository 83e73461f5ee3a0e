import fc from 'fast-check';
import type { EventFilter } from '../../../shared/event-store/event-store.port';
import { RecentEvents, type EventRow } from './recent-events';

const STREAMS = ['contact-a', 'contact-b', 'segment-x', '$system'];
const TYPES = ['Created', 'Updated', 'Seen'];

function rowsFrom(start: number, picks: ReadonlyArray<readonly [number, number]>): EventRow[] {
  return picks.map(([stream, type], index) => ({
    position: start + index + 1,
    stream_id: STREAMS[stream]!,
    revision: index,
    id: `event-${start + index + 1}`,
    type: TYPES[type]!,
    data: JSON.stringify({ n: index }),
    metadata: '{}',
    recorded_at: 0,
  }));
}

/** What the SQL path selects: no `$` streams, any listed prefix, a listed type. */
function bruteForce(rows: readonly EventRow[], after: number, filter: EventFilter | undefined) {
  return rows.filter(
    (row) =>
      row.position > after &&
      !row.stream_id.startsWith('$') &&
      (filter?.eventTypes === undefined || filter.eventTypes.includes(row.type)) &&
      (filter?.streamPrefixes === undefined ||
        filter.streamPrefixes.some((prefix) => row.stream_id.startsWith(prefix))),
  );
}

const filterArbitrary: fc.Arbitrary<EventFilter | undefined> = fc.option(
  fc.record(
    {
      eventTypes: fc.subarray(TYPES),
      streamPrefixes: fc.subarray(['contact-', 'contact-a', 'segment-']),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

describe('RecentEvents', () => {
  it('pages what the table would give, and how far it looked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.tuple(fc.nat(STREAMS.length - 1), fc.nat(TYPES.length - 1)), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 10 }),
        filterArbitrary,
        (start, picks, afterOffset, limit, filter) => {
          const rows = rowsFrom(start, picks);
          const recent = new RecentEvents(start, 1000);
          recent.add(rows);
          const after = start + afterOffset;
          const head = rows.length === 0 ? start : rows[rows.length - 1]!.position;

          const page = recent.page(after, filter, limit)!;

          const expected = bruteForce(rows, after, filter);
          expect(page.events.map((event) => event.id)).toEqual(
            expected.slice(0, limit).map((row) => row.id),
          );
          expect(page.scannedThrough).toBe(
            expected.length >= limit ? expected[limit - 1]!.position : Math.max(after, head),
          );
        },
      ),
    );
  });

  it('hands every reader the same parsed, frozen event', () => {
    const recent = new RecentEvents(0, 10);
    recent.add(rowsFrom(0, [[0, 0]]));
    const first = recent.page(0, undefined, 10)!.events[0]!;
    const second = recent.page(0, { eventTypes: ['Created'] }, 10)!.events[0]!;
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first).toMatchObject({ position: 1n, revision: 0n, data: { n: 0 } });
  });

  it('answers nothing for positions before what it holds, after opening and after dropping old events', () => {
    const recent = new RecentEvents(5, 4);
    expect(recent.page(4, undefined, 10)).toBeUndefined();
    expect(recent.page(5, undefined, 10)).toEqual({ events: [], scannedThrough: 5 });
    recent.add(
      rowsFrom(
        5,
        Array.from({ length: 8 }, () => [0, 0] as const),
      ),
    );
    // Eight held at twice the capacity: the oldest four (positions 6 to 9) are dropped.
    expect(recent.page(8, undefined, 10)).toBeUndefined();
    expect(recent.page(9, undefined, 10)!.events.map((event) => event.position)).toEqual([
      10n,
      11n,
      12n,
      13n,
    ]);
  });
});
