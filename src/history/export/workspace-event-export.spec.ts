import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Environment } from '../../config/environment';
import type { ProjectionRunner } from '../../projection-runner/projection-runner';
import type {
  EventStore,
  ReadAllOptions,
  RecordedEvent,
} from '../../shared/event-store/event-store.port';
import { contactStreamId } from '../../shared/stream-names';
import { WorkspaceEventExport } from './workspace-event-export';

const eventOf = (position: number, workspaceId: string, contactId: string): RecordedEvent => ({
  id: `event-${position}`,
  type: 'ContactSeen',
  data: { workspaceId, contactId },
  metadata: { workspaceId, occurredAt: 1_700_000_000_000 + position },
  streamId: contactStreamId(workspaceId, contactId),
  revision: 0n,
  position: BigInt(position),
  recordedAt: new Date(0),
});

/** A log of `count` events over 10 contacts of acme, with one of globex among them. */
function logOf(count: number): RecordedEvent[] {
  return Array.from({ length: count }, (_, index) =>
    index === 7
      ? eventOf(index + 1, 'acme.eu', 'c0')
      : eventOf(index + 1, 'acme', `c${index % 10}`),
  );
}

async function exportOver(log: readonly RecordedEvent[], heldContacts: readonly string[]) {
  const reads: ReadAllOptions[] = [];
  const store = {
    headPosition: () => Promise.resolve(log[log.length - 1]?.position ?? 0n),
    async *readAll(options: ReadAllOptions = {}) {
      reads.push(options);
      let left = options.maxCount ?? Infinity;
      for (const event of log) {
        if (left <= 0) return;
        if (options.fromPosition !== undefined && event.position <= options.fromPosition) continue;
        if (!options.filter?.streamPrefixes?.some((prefix) => event.streamId.startsWith(prefix)))
          continue;
        left -= 1;
        yield await Promise.resolve(event);
      }
    },
  } as Partial<EventStore> as EventStore;
  const db = new Kysely<{ contacts: { workspace_id: string; id: string } }>({
    dialect: new SqliteDialect({ database: new Database(':memory:') }),
  });
  await db.schema
    .createTable('contacts')
    .addColumn('workspace_id', 'text')
    .addColumn('id', 'text')
    .execute();
  for (const id of heldContacts)
    await db.insertInto('contacts').values({ workspace_id: 'acme', id }).execute();
  const runner = {
    waitFor: () => Promise.resolve(true),
    queryDb: () => db,
  } as Partial<ProjectionRunner> as ProjectionRunner;
  const exports = new WorkspaceEventExport(store, runner, {
    READ_YOUR_WRITES_TIMEOUT_MS: 5000,
  } as Environment);
  return { exports, reads };
}

describe("a workspace's export", () => {
  it('reads the store a page at a time, and a page only when the one before has been taken', async () => {
    const contacts = Array.from({ length: 10 }, (_, n) => `c${n}`);
    const { exports, reads } = await exportOver(logOf(1200), contacts);
    const { end, events } = await exports.open('acme', {});
    expect(end).toBe(1200n);
    const first = await events.next();
    expect(first.value).toMatchObject({ position: 1n });
    expect(reads).toHaveLength(1);
    const rest: bigint[] = [];
    for await (const event of events) rest.push(event.position);
    expect(rest).toHaveLength(1200 - 2);
    expect(rest).not.toContain(8n);
    expect(reads.map((read) => [read.fromPosition, read.maxCount])).toEqual([
      [undefined, 500],
      [500n, 500],
      [1000n, 500],
    ]);
  });

  it('leaves out the events of a contact the contacts read model no longer holds (deleted)', async () => {
    const { exports } = await exportOver(logOf(30), ['c1', 'c2']);
    const { events } = await exports.open('acme', {});
    const contacts = new Set<string>();
    for await (const event of events) contacts.add((event.data as { contactId: string }).contactId);
    expect([...contacts].sort()).toEqual(['c1', 'c2']);
  });
});
