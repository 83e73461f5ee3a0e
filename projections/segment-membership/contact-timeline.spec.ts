import fc from 'fast-check';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import type { ContactEvent } from '../../src/contacts/domain/contact.events';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import { initialContactState, isLive } from '../../src/contacts/domain/contact.state';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { liveRow } from '../contacts/contacts.projection';
import { ContactTimeline } from './contact-timeline';

const T0 = 1_700_000_000;
const ids = { contactId: 'c-1', workspaceId: 'ws' } as const;

/** A contact event of the stream, dated `at` (its event time, as recorded). */
type Step =
  | { readonly kind: 'plan'; readonly at: number; readonly plan: string | null }
  | {
      readonly kind: 'track';
      readonly at: number;
      readonly name: string;
      readonly createdAt: number;
    }
  | { readonly kind: 'summary'; readonly at: number; readonly name: string }
  | { readonly kind: 'delete'; readonly at: number };

const second = fc.integer({ min: 0, max: 20 }).map((offset) => T0 + offset);
const name = fc.constantFrom('purchase', 'login');
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      at: second,
      plan: fc.constantFrom('free', 'pro', null),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('track' as const),
      at: second,
      name,
      createdAt: second,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('summary' as const), at: second, name }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: second }) },
);

function eventOf(step: Step): ContactEvent {
  switch (step.kind) {
    case 'plan':
      return {
        type: 'ContactUpdated',
        data: { ...ids, updatedAt: step.at, changes: { custom_attributes: { plan: step.plan } } },
      };
    case 'track':
      return {
        type: 'DataEventTracked',
        data: { ...ids, name: step.name, createdAt: step.createdAt, metadata: {} },
      };
    case 'summary':
      return {
        type: 'DataEventSummaryReported',
        data: { ...ids, name: step.name, count: 2, first: step.at - 5, last: step.at },
      };
    case 'delete':
      return { type: 'ContactDeleted', data: { ...ids, deletedAt: step.at } };
  }
}

const recorded = (event: ContactEvent, at: number, revision: number): RecordedEvent => ({
  id: `e-${revision}`,
  type: event.type,
  data: { ...event.data },
  metadata: { workspaceId: ids.workspaceId, occurredAt: at * 1000 + 500 },
  streamId: 'contact-ws-c-1',
  revision: BigInt(revision),
  position: BigInt(revision + 1),
  recordedAt: new Date(0),
});

/** The contact at `at` as `ContactAsOf` folds it, with its data events' latest `created_at`. */
function naive(stream: readonly RecordedEvent[], at: number) {
  const state = stream
    .filter((event) => Math.floor(event.metadata.occurredAt / 1000) <= at)
    .reduce((folded, event) => evolve(folded, toContactEvent(event)), initialContactState());
  if (!isLive(state)) return { searchable: undefined, lastDataEventAt: undefined };
  const latest = new Map<string, number>();
  for (const event of stream) {
    if (Math.floor(event.metadata.occurredAt / 1000) > at) continue;
    const data = event.data as { name?: string; createdAt?: number; last?: number };
    const createdAt = event.type === 'DataEventTracked' ? data.createdAt : data.last;
    if (data.name === undefined || createdAt === undefined) continue;
    if (event.type !== 'DataEventTracked' && event.type !== 'DataEventSummaryReported') continue;
    latest.set(data.name, Math.max(latest.get(data.name) ?? createdAt, createdAt));
  }
  // The row as rules read it: no JSON text but the custom attributes, parsed.
  const { merge_history: _history, field_written_at: _written, ...row } = liveRow(state, 0);
  return {
    searchable: { ...row, custom_attributes: state.custom_attributes },
    lastDataEventAt: latest,
  };
}

describe('ContactTimeline', () => {
  it("gives, at each second asked in order, the contact's as-of fold then", () => {
    fc.assert(
      fc.property(
        second,
        fc.array(stepArbitrary, { maxLength: 12 }),
        second,
        fc.uniqueArray(second, { maxLength: 8 }),
        (createdAt, steps, from, asked) => {
          const created: ContactEvent = {
            type: 'UserCreated',
            data: { ...ids, createdAt, attributes: { email: 'a@example.com' } },
          };
          const stream = [
            recorded(created, createdAt, 0),
            ...steps.map((step, index) => recorded(eventOf(step), step.at, index + 1)),
          ];
          const timeline = new ContactTimeline(stream, from);
          for (const at of [from, ...asked.filter((at) => at > from).sort((a, b) => a - b)]) {
            const { searchable, lastDataEventAt } = timeline.at(at);
            const expected = naive(stream, at);
            expect({ at, searchable, lastDataEventAt }).toEqual({ at, ...expected });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the seconds after the start where the fold changes, and the data events dated then', () => {
    const stream = [
      recorded({ type: 'UserCreated', data: { ...ids, createdAt: T0, attributes: {} } }, T0, 0),
      recorded(eventOf({ kind: 'plan', at: T0 + 9, plan: 'pro' }), T0 + 9, 1),
      recorded(eventOf({ kind: 'track', at: T0 + 7, name: 'login', createdAt: T0 + 7 }), T0 + 7, 2),
      recorded(eventOf({ kind: 'plan', at: T0 + 3, plan: 'free' }), T0 + 3, 3),
    ];
    const timeline = new ContactTimeline(stream, T0 + 3);
    expect([...timeline.changes].sort(([a], [b]) => a - b)).toEqual([
      [T0 + 7, { fold: false, dataEvents: new Set(['login']) }],
      [T0 + 9, { fold: true, dataEvents: new Set() }],
    ]);
    expect(timeline.at(T0 + 3).cause?.id).toBe('e-3');
    expect(timeline.at(T0 + 5).cause).toBeUndefined();
    expect(timeline.at(T0 + 9).cause?.id).toBe('e-1');
  });
});
