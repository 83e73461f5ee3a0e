/**
 * Folding a contact's stream (`npm run bench:fold`): the time to fold a user with N data events
 * (each adds a deduplication key to the state), beside the same user with N attribute updates,
 * which add nothing, as the baseline, in the same run. Ratios near 1 mean a data event costs a
 * fold what any event does, whatever the number before it.
 */
import { evolve } from '../src/contacts/domain/contact.evolve';
import type { ContactEvent } from '../src/contacts/domain/contact.events';
import type { ContactState } from '../src/contacts/domain/contact.state';
import { median, printTable, type Row } from './bench-table';

const ids = { contactId: 'bench-contact', workspaceId: 'bench' } as const;
const T0 = 1_700_000_000;
const created: ContactEvent = {
  type: 'UserCreated',
  data: { ...ids, createdAt: T0, attributes: { email: 'ada@example.com' } },
};

const tracked = (index: number): ContactEvent => ({
  type: 'DataEventTracked',
  data: { ...ids, name: 'viewed-pricing', createdAt: T0 + index, metadata: {} },
});

const updated = (index: number): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ids, updatedAt: T0 + index, changes: { name: `Ada ${index}` } },
});

function foldMs(events: readonly ContactEvent[]): number {
  const started = performance.now();
  let state: ContactState = { status: 'none' };
  for (const event of events) state = evolve(state, event);
  if (state.status !== 'user') throw new Error('the fold did not make a user');
  return performance.now() - started;
}

const rows: Row[] = [];
for (const count of [1_000, 5_000, 20_000]) {
  const withDataEvents = [created, ...Array.from({ length: count }, (_, i) => tracked(i))];
  const withUpdates = [created, ...Array.from({ length: count }, (_, i) => updated(i))];
  const rounds = count >= 20_000 ? 3 : 5;
  const dataEventsMs = median(Array.from({ length: rounds }, () => foldMs(withDataEvents)));
  const updatesMs = median(Array.from({ length: rounds }, () => foldMs(withUpdates)));
  rows.push(
    { measure: `fold: user + ${count} attribute updates (baseline)`, value: updatesMs, unit: 'ms' },
    {
      measure: `fold: user + ${count} data events`,
      value: dataEventsMs,
      unit: 'ms',
      ratios: [`${(dataEventsMs / updatesMs).toFixed(2)}x baseline`],
    },
  );
}
console.log('contact fold benchmark: median of rounds, one process');
printTable(rows);
