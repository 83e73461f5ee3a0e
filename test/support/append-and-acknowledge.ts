/**
 * Child process for the crash test: appends groups of three events from 16 concurrent writers and
 * prints `ack <groupId>` only after the store acknowledged the append. With `--open-only` it just
 * opens the store and reports whether it could.
 */
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: append-and-acknowledge <dataDir> [--open-only]');

if (mode === '--open-only') {
  try {
    SqliteEventStore.open({ dataDir });
    process.stdout.write('opened\n');
  } catch (error) {
    process.stdout.write(`refused ${(error as Error).name}: ${(error as Error).message}\n`);
  }
  process.exit(0);
}

const store = SqliteEventStore.open({ dataDir });
async function writer(index: number): Promise<never> {
  for (;;) {
    const group = randomUUID();
    const events = [0, 1, 2].map((part) => ({
      id: randomUUID(),
      type: 'GroupPart',
      data: { group, part },
      metadata: { workspaceId: 'crash', occurredAt: Date.now() },
    }));
    await store.append(`crash-${index}`, events, { expectedRevision: 'any' });
    process.stdout.write(`ack ${group}\n`);
  }
}
process.stdout.write('ready\n');
void Promise.all(Array.from({ length: 16 }, (_, index) => writer(index)));
